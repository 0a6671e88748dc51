global using Xunit;
global using Berth.Runtime.Plan;
