package entrypoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/windlass-dev/windlass/internal/contract"
)

// StepResults replaces the $(steps.<s>.results.<r>) references in a
// step's command line and environment (KEY=VALUE items) with what the
// earlier steps wrote under dir (contract.StepResultsDir): a reference
// to a whole array, [*], must be a whole command line item and becomes
// the array's items. A result that was not written, or that is not the
// JSON an index or key needs, is an error naming the reference.
func StepResults(command, environ []string, dir string) ([]string, []string, error) {
	var cmd []string
	for i, item := range command {
		refs := contract.StepResultRefs(item)
		if len(refs) == 1 && refs[0].Star && strings.TrimSpace(item) == refs[0].Text {
			items, err := readArray(dir, refs[0])
			if err != nil {
				return nil, nil, err
			}
			cmd = append(cmd, items...)
			continue
		}
		s, err := replaceStepResults(item, refs, dir)
		if err != nil {
			return nil, nil, fmt.Errorf("argument %d: %w", i, err)
		}
		cmd = append(cmd, s)
	}
	env := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		s, err := replaceStepResults(v, contract.StepResultRefs(v), dir)
		if err != nil {
			return nil, nil, fmt.Errorf("$%s: %w", k, err)
		}
		env = append(env, k+"="+s)
	}
	return cmd, env, nil
}

func replaceStepResults(s string, refs []contract.StepResultRef, dir string) (string, error) {
	for _, r := range refs {
		if r.Star {
			return "", fmt.Errorf("%s: an array's items ([*]) can only be a whole command line item", r.Text)
		}
		v, err := scalar(dir, r)
		if err != nil {
			return "", err
		}
		s = strings.ReplaceAll(s, r.Text, v)
	}
	return s, nil
}

func readResult(dir string, r contract.StepResultRef) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(dir, r.Step, r.Result))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: step %q did not write its result %q", r.Text, r.Step, r.Result)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Text, err)
	}
	return data, nil
}

func readArray(dir string, r contract.StepResultRef) ([]string, error) {
	data, err := readResult(dir, r)
	if err != nil {
		return nil, err
	}
	var items []string
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("%s: the result is not a JSON array of strings: %w", r.Text, err)
	}
	return items, nil
}

func scalar(dir string, r contract.StepResultRef) (string, error) {
	switch {
	case r.Index >= 0:
		items, err := readArray(dir, r)
		if err != nil {
			return "", err
		}
		if r.Index >= len(items) {
			return "", fmt.Errorf("%s: index %d is out of range: the array has %d items", r.Text, r.Index, len(items))
		}
		return items[r.Index], nil
	case r.Key != "":
		data, err := readResult(dir, r)
		if err != nil {
			return "", err
		}
		var obj map[string]string
		if err := json.Unmarshal(data, &obj); err != nil {
			return "", fmt.Errorf("%s: the result is not a JSON object of strings: %w", r.Text, err)
		}
		v, ok := obj[r.Key]
		if !ok {
			return "", fmt.Errorf("%s: the object has no key %q", r.Text, r.Key)
		}
		return v, nil
	}
	data, err := readResult(dir, r)
	return string(data), err
}

// resultsFrom copies step results to the Task results they set (each
// NAME=FILE), unless the step wrote the Task result itself. A step result
// that was not written leaves the Task result unset.
func resultsFrom(resultsDir string, from []string) error {
	for _, nf := range from {
		name, file, ok := strings.Cut(nf, "=")
		if !ok {
			return fmt.Errorf("--result-from %q: want NAME=FILE", nf)
		}
		dst := filepath.Join(resultsDir, name)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		if err := copyFile(file, dst); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("setting result %s from %s: %w", name, file, err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
