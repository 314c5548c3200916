package entrypoint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/windlass-dev/windlass/internal/contract"
)

// waitForFile returns once path or path+contract.FailedSuffix exists, woken by inotify events
// on the directory (never by polling): the hand-off between steps is a budget
// of milliseconds. failed is true when the latter appeared.
func waitForFile(ctx context.Context, path string) (failed bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return false, err
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return false, fmt.Errorf("inotify: %w", err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE); err != nil {
		return false, fmt.Errorf("watching %s: %w", dir, err)
	}
	// The watch is armed: a file created from now on wakes us, one created
	// before is found by this check.
	check := func() (bool, bool) {
		if _, err := os.Stat(path); err == nil {
			return true, false
		}
		if _, err := os.Stat(path + contract.FailedSuffix); err == nil {
			return true, true
		}
		return false, false
	}
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		if done, failed := check(); done {
			return failed, nil
		}
		// poll(2) on the inotify fd blocks until an event or the context ends.
		if err := pollFD(ctx, fd); err != nil {
			return false, err
		}
		// Drain the events; which file they name does not matter, check() decides.
		for {
			if _, err := unix.Read(fd, buf); err != nil {
				if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
					break
				}
				return false, fmt.Errorf("reading inotify events: %w", err)
			}
		}
	}
}

// pollFD waits until fd is readable, waking every 250 ms only to notice a
// cancelled context (not to look for the file).
func pollFD(ctx context.Context, fd int) error {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Poll(fds, 250)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("poll: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
}

// writeFileAtomic writes data to path through a rename, so a waiter never sees
// a partial file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
