using Berth.Cli;

// berth: the command line. Each command parses its arguments and calls one function of the library.
return Commands.Execute(args);
