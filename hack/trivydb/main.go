// Command trivydb builds Trivy's vulnerability database (schema 2) from a
// file of fixture advisories with the trivy-db module, and pushes it to a
// registry as Trivy's OCI DB artifact, which `trivy --db-repository` reads.
// The local bed and the tests scan offline against it.
//
//	go run ./hack/trivydb --advisories test/fixtures/trivy-db/advisories.yaml --push 127.0.0.1:5000/windlass/trivy-db:2
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	dbtypes "github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	ggcrtypes "github.com/google/go-containerregistry/pkg/v1/types"
	bolt "go.etcd.io/bbolt"
	"sigs.k8s.io/yaml"
)

// Media types of Trivy's DB artifact.
const (
	layerMediaType  = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
	configMediaType = "application/vnd.aquasec.trivy.config.v1+json"
)

// fixtures is the advisories file.
type fixtures struct {
	DataSources map[string]dataSource `json:"dataSources"`
	Advisories  []advisory            `json:"advisories"`
}

type dataSource struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

type advisory struct {
	ID       string `json:"id"`
	Bucket   string `json:"bucket"` // "debian 12", "alpine 3.20", "go::GitHub Security Advisory Go", ...
	Package  string `json:"package"`
	Source   string `json:"source"` // the vendor whose severity applies (debian, alpine, ghsa, ...)
	Severity string `json:"severity"`
	Title    string `json:"title"`
	// OS packages: fixed in this version. Language packages: version ranges.
	FixedVersion       string   `json:"fixedVersion,omitempty"`
	VulnerableVersions []string `json:"vulnerableVersions,omitempty"`
	PatchedVersions    []string `json:"patchedVersions,omitempty"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trivydb:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("trivydb", flag.ContinueOnError)
	file := fs.String("advisories", "test/fixtures/trivy-db/advisories.yaml", "the fixture advisories")
	push := fs.String("push", "", "registry reference to push the DB artifact to (e.g. 127.0.0.1:5000/windlass/trivy-db:2)")
	out := fs.String("o", "", "also write db.tar.gz here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *push == "" && *out == "" {
		return fmt.Errorf("nothing to do: give --push or -o")
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var fx fixtures
	if err := yaml.UnmarshalStrict(data, &fx); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	dir, err := os.MkdirTemp("", "trivydb")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := build(dir, fx, time.Now().UTC()); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	tgz, err := archive(dir)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, tgz, 0o644); err != nil {
			return err
		}
	}
	if *push != "" {
		digest, err := pushArtifact(*push, tgz)
		if err != nil {
			return fmt.Errorf("pushing %s: %w", *push, err)
		}
		fmt.Fprintf(stdout, "%s@%s (%d advisories)\n", *push, digest, len(fx.Advisories))
	}
	return nil
}

// build writes trivy.db and metadata.json into dir.
func build(dir string, fx fixtures, now time.Time) error {
	if err := db.Init(dir); err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	dbc := db.Config{}
	err := dbc.BatchUpdate(func(tx *bolt.Tx) error {
		for bucket, ds := range fx.DataSources {
			if err := dbc.PutDataSource(tx, bucket, dbtypes.DataSource{ID: dbtypes.SourceID(ds.ID), Name: ds.Name, URL: ds.URL}); err != nil {
				return err
			}
		}
		for i, a := range fx.Advisories {
			if a.ID == "" || a.Bucket == "" || a.Package == "" || a.Source == "" {
				return fmt.Errorf("advisories[%d]: id, bucket, package and source are required", i)
			}
			sev, err := dbtypes.NewSeverity(a.Severity)
			if err != nil {
				return fmt.Errorf("advisories[%d] (%s): severity %q: %w", i, a.ID, a.Severity, err)
			}
			adv := dbtypes.Advisory{FixedVersion: a.FixedVersion, VulnerableVersions: a.VulnerableVersions, PatchedVersions: a.PatchedVersions}
			if err := dbc.PutAdvisoryDetail(tx, a.ID, a.Package, []string{a.Bucket}, adv); err != nil {
				return err
			}
			if err := dbc.PutVulnerability(tx, a.ID, dbtypes.Vulnerability{
				Title:          a.Title,
				VendorSeverity: dbtypes.VendorSeverity{dbtypes.SourceID(a.Source): sev},
			}); err != nil {
				return err
			}
			if err := dbc.PutVulnerabilityID(tx, a.ID); err != nil {
				return err
			}
		}
		for _, a := range fx.Advisories {
			if err := dbc.SaveAdvisoryDetails(tx, a.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return metadata.NewClient(dir).Update(metadata.Metadata{
		Version: db.SchemaVersion, UpdatedAt: now, NextUpdate: now.Add(24 * time.Hour),
	})
}

// archive packs trivy.db and metadata.json as Trivy's db.tar.gz.
func archive(dir string) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, n := range []string{"trivy.db", "metadata.json"} {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func pushArtifact(ref string, tgz []byte) (string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	img := mutate.MediaType(empty.Image, ggcrtypes.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, configMediaType)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(tgz, layerMediaType),
		Annotations: map[string]string{"org.opencontainers.image.title": "db.tar.gz"},
	})
	if err != nil {
		return "", err
	}
	if err := remote.Write(r, img); err != nil {
		return "", err
	}
	d, err := img.Digest()
	return d.String(), err
}
