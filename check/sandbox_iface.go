package check

import "github.com/mcpverify/mcpverify/model"

// Sandbox is the file tree a target was started on (check --sandbox): a
// workspace, the one directory the server is told to use, and canaries
// around it that no answer may hold (check/sandbox makes one). The file
// checks send its attacks; the model judges every answer against its
// Tree (Options.Model.Files).
type Sandbox interface {
	// Tree describes the tree for the model.
	Tree() *model.FileTree
	// Materialize makes the targets that do not exist when the server
	// starts (a link that dangles, then leads out).
	Materialize() error
	// Reads are paths inside the workspace (relative and absolute) with
	// the content each holds: the baseline of the attacks.
	Reads() map[string]string
	// Attacks are the escape attempts for a path argument; ResourceAttacks
	// those for file:// resource reads.
	Attacks() []PathAttack
	ResourceAttacks() []PathAttack
	// Writes reports whether tools that may write (not marked read-only)
	// may be called (check --sandbox-writes); Intruders lists what
	// appeared or changed outside the workspace since the tree was made
	// (a write that escaped).
	Writes() bool
	Intruders() []string
}

// PathAttack is one escape attempt: a path (or file:// URI) aimed at a
// canary.
type PathAttack struct {
	// Family names the escape class ("dotdot", "symlink", ...).
	Family string
	// Value is what is sent.
	Value string
	// Aim is the canary's path.
	Aim string
	// Symlink: through a link inside the workspace.
	Symlink bool
}
