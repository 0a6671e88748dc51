global using Berth.Runtime.Plan;
global using Xunit;
