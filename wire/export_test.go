package wire

// DefTypes exposes the table of definitions to the external tests.
var DefTypes = defTypes
