package asg

// NewID is newID for the external tests.
var NewID = newID
