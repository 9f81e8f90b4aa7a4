package main

// Commands and delete kinds whose library API has not landed yet. Each moves
// to a file of its own when it does; a nil command is left out of the
// command list and a deleteKind without delete out of `waffle delete`.
var (
	flagCommand     *command
	sampleCommand   *command
	groupCommand    *command
	memberCommand   *command
	syncCommand     *command
	getCommand      *command
	setCommand      *command
	loadJSONCommand *command
	dumpJSONCommand *command

	flagDeleteKind   deleteKind
	sampleDeleteKind deleteKind
	stringDeleteKind deleteKind
)
