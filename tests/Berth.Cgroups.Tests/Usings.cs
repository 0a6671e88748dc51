global using Berth.Runtime;
global using Berth.Runtime.Cgroups;
global using Berth.Spec;
global using Xunit;
global using Berth.Runtime.Tests;
