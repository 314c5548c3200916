package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Release is one change to the app repository, pushed as one commit.
type Release struct {
	Version string
	Subject string
	// Edit changes the working copy dir; samples is config/samples/gitops.
	Edit func(dir, samples string) error
}

// First is the sample app as it is (config/samples/gitops/app).
func First() Release {
	return Release{Subject: "web: the version page", Edit: func(dir, samples string) error {
		files, err := Tree(filepath.Join(samples, "app"), nil)
		if err != nil {
			return err
		}
		for name, body := range files {
			if err := writeFile(dir, name, body); err != nil {
				return err
			}
		}
		return nil
	}}
}

// Bump sets VERSION.
func Bump(version string) Release {
	return Release{Version: version, Subject: "web " + version, Edit: func(dir, _ string) error {
		return writeFile(dir, "VERSION", version+"\n")
	}}
}

// BrokenReadiness is version with a bug the unit tests miss: render.sh
// writes the health page under another name, so the readiness probe's
// /healthz answers 404 and no pod of it becomes ready.
func BrokenReadiness(version string) Release {
	return Release{Version: version, Subject: "web " + version + ": name the health page health", Edit: func(dir, _ string) error {
		if err := replaceIn(dir, "render.sh", `"$dir/healthz"`, `"$dir/health"`); err != nil {
			return err
		}
		return writeFile(dir, "VERSION", version+"\n")
	}}
}

// Vulnerable is version on a Debian 12 base whose package windlass-fixture
// 1.0-1 has a CRITICAL advisory in the fixture vulnerability DB
// (test/fixtures/trivy-db). It also puts the sample's render.sh back, so
// the vulnerability is the only thing wrong with it.
func Vulnerable(version string) Release {
	return Release{Version: version, Subject: "web " + version + ": on a Debian 12 base", Edit: func(dir, samples string) error {
		render, err := os.ReadFile(filepath.Join(samples, "app", "render.sh"))
		if err != nil {
			return err
		}
		files := map[string]string{
			"render.sh":             string(render),
			"VERSION":               version + "\n",
			"debian/debian_version": "12.5\n",
			"debian/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n" +
				"VERSION=\"12 (bookworm)\"\nID=debian\n",
			"debian/status": "Package: windlass-fixture\nStatus: install ok installed\nPriority: optional\nSection: libs\n" +
				"Installed-Size: 1\nMaintainer: Dana Developer <dana@windlass.dev>\nArchitecture: amd64\nVersion: 1.0-1\nDescription: fixture\n",
		}
		for name, body := range files {
			if err := writeFile(dir, name, body); err != nil {
				return err
			}
		}
		return replaceIn(dir, "Dockerfile", "FROM busybox\n", "FROM busybox\n"+
			"COPY debian/debian_version /etc/debian_version\nCOPY debian/os-release /etc/os-release\nCOPY debian/status /var/lib/dpkg/status\n")
	}}
}

func writeFile(dir, name, body string) error {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(body), 0o644)
}

// replaceIn replaces old with new in a file of dir, once; old must be there.
func replaceIn(dir, name, old, new string) error {
	p := filepath.Join(dir, name)
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if !strings.Contains(string(data), old) {
		return fmt.Errorf("%s does not contain %q", name, old)
	}
	return os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644)
}
