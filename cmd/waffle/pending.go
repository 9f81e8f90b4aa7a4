package main

// Commands whose library API has not landed yet (time windows and their
// sync). Each moves to a file of its own when it does; a nil command is left
// out of the command list.
var (
	memberCommand *command
	syncCommand   *command
)
