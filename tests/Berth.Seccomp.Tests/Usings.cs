global using Berth.Runtime.Plan;
global using Berth.Spec;
global using Xunit;
