global using Xunit;
global using System.Text.Json.Nodes;
