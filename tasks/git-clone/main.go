// Command git-clone is the step tool of the catalog's git-clone Task: it
// fetches one revision of a repository with go-git into a workspace and writes
// the commit, URL and committer date as results.
package main

import "github.com/windlass-dev/windlass/tasks/toolkit"

func main() { toolkit.Main("git-clone", run) }
