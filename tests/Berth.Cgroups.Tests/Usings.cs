global using Berth.Runtime;
global using Berth.Runtime.Cgroups;
global using Berth.Runtime.Tests;
global using Berth.Spec;
global using Xunit;
