package util

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// ChildPIDs lists this process's children whose command name is comm.
func ChildPIDs(comm string) []int {
	dirs, _ := os.ReadDir("/proc")
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(data)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != comm {
			continue
		}
		if f := strings.Fields(s[end+1:]); len(f) > 1 && f[1] == strconv.Itoa(os.Getpid()) {
			out = append(out, pid)
		}
	}
	return out
}

// reapOnExit starts a watchdog, outside this process's group, that kills
// pids once this process has ended: etcd and the API server must not outlive
// a test binary that a panic or a SIGKILL ends before it could stop them. It
// kills a pid only while its command line still starts with bin (not a
// reused pid).
func reapOnExit(bin string, pids []int) error {
	if len(pids) == 0 {
		return nil
	}
	var list []string
	for _, p := range pids {
		list = append(list, strconv.Itoa(p))
	}
	// SIGKILL: an API server whose etcd is gone can take long to stop on
	// SIGTERM. Their temporary directories go with them.
	script := `while kill -0 "$1" 2>/dev/null; do sleep 1; done
bin=$2; shift 2
for p in "$@"; do
	args=$(tr '\0' '\n' </proc/"$p"/cmdline 2>/dev/null) || continue
	case "$args" in "$bin"/*) ;; *) continue ;; esac
	dirs=$(printf '%s\n' "$args" | sed -n 's|^--[a-z-]*=\(/[^=]*/k8s_test_framework_[0-9]*\).*|\1|p' | sort -u)
	kill -9 "$p"
	[ -z "$dirs" ] || rm -rf $dirs
done`
	cmd := exec.Command("sh", append([]string{"-c", script, "windlass-envtest-reaper", strconv.Itoa(os.Getpid()), bin}, list...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the envtest reaper: %w", err)
	}
	go func() { _ = cmd.Wait() }() // if it ends first (it should not), do not leave a zombie
	return nil
}
