package emulator

// faultControl declares and lists injected faults (faults.go).
var faultControl = []controlRoute{}
