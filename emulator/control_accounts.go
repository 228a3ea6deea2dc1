package emulator

// accountControl creates, lists and removes accounts (accounts.go).
var accountControl = []controlRoute{}
