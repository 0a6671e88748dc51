global using Xunit;
global using Berth.Runtime.Plan;
global using Berth.Spec;
