using Berth.Cli;

// berth: the command line. Each command parses its arguments from its flag table and calls one function of the library.
return Dispatcher.Execute(args);
