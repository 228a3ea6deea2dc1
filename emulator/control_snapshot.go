package emulator

// snapshotControl saves the emulator's state on demand (snapshot.go).
var snapshotControl = []controlRoute{}
