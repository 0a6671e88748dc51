global using Berth.Cli;
global using Berth.Cli.Parsing;
global using Berth.Runtime;
global using Xunit;
