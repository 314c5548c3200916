package params

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// WorkspaceHelp documents the -w syntax.
const WorkspaceHelp = `-w name=WS,claimName=PVC            an existing PersistentVolumeClaim
-w name=WS,emptyDir=                a scratch volume (emptyDir=Memory for tmpfs)
-w name=WS,volumeClaimTemplateFile=FILE   a claim made for the run from a PVC in FILE (YAML)
-w name=WS,config=CONFIGMAP         a ConfigMap's keys as files
-w name=WS,secret=SECRET            a Secret's keys as files
any of them with ,subPath=DIR`

// Workspace parses one -w flag; readFile reads a volumeClaimTemplateFile.
func Workspace(flag string, readFile func(string) ([]byte, error)) (windlassv1.WorkspaceBinding, error) {
	var b windlassv1.WorkspaceBinding
	sources := 0
	for _, part := range strings.Split(flag, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return b, fmt.Errorf("-w %q: %q is not KEY=VALUE", flag, part)
		}
		switch k {
		case "name":
			b.Name = v
		case "subPath":
			b.SubPath = v
		case "claimName":
			sources++
			if v == "" {
				return b, fmt.Errorf("-w %q: claimName is empty", flag)
			}
			b.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: v}
		case "emptyDir":
			sources++
			if v != "" && v != string(corev1.StorageMediumMemory) {
				return b, fmt.Errorf("-w %q: emptyDir takes no value or Memory, not %q", flag, v)
			}
			b.EmptyDir = &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMedium(v)}
		case "config":
			sources++
			b.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: v}}
		case "secret":
			sources++
			b.Secret = &corev1.SecretVolumeSource{SecretName: v}
		case "volumeClaimTemplateFile":
			sources++
			data, err := readFile(v)
			if err != nil {
				return b, fmt.Errorf("-w %q: %w", flag, err)
			}
			pvc := &corev1.PersistentVolumeClaim{}
			if err := yaml.UnmarshalStrict(data, pvc); err != nil {
				return b, fmt.Errorf("-w %q: %s is not a PersistentVolumeClaim: %w", flag, v, err)
			}
			b.VolumeClaimTemplate = pvc
		default:
			return b, fmt.Errorf("-w %q: unknown key %q (want name, claimName, emptyDir, volumeClaimTemplateFile, config, secret, subPath)", flag, k)
		}
	}
	switch {
	case b.Name == "":
		return b, fmt.Errorf("-w %q: name= is missing", flag)
	case sources != 1:
		return b, fmt.Errorf("-w %q: give exactly one of claimName, emptyDir, volumeClaimTemplateFile, config, secret", flag)
	}
	return b, nil
}

// Declared is a workspace the Pipeline or Task declares.
type Declared struct {
	Name     string
	Optional bool
}

// Workspaces parses the -w flags and checks them against the declared
// workspaces (when declared is nil nothing is checked). given are bindings
// already set (from -f); the flags replace them by name.
func Workspaces(flags []string, declared []Declared, given []windlassv1.WorkspaceBinding, readFile func(string) ([]byte, error)) ([]windlassv1.WorkspaceBinding, error) {
	out := append([]windlassv1.WorkspaceBinding(nil), given...)
	index := map[string]int{}
	for i, b := range out {
		index[b.Name] = i
	}
	known := map[string]bool{}
	var all []string
	for _, d := range declared {
		known[d.Name] = true
		all = append(all, d.Name)
	}
	fromFlag := map[string]bool{}
	for _, f := range flags {
		b, err := Workspace(f, readFile)
		if err != nil {
			return nil, err
		}
		if declared != nil && !known[b.Name] {
			return nil, fmt.Errorf("-w %q: the pipeline or task declares no workspace %q (it declares %s)", f, b.Name, orNone(all))
		}
		if fromFlag[b.Name] {
			return nil, fmt.Errorf("-w %q: workspace %s is given twice", f, b.Name)
		}
		fromFlag[b.Name] = true
		if i, ok := index[b.Name]; ok {
			out[i] = b
		} else {
			index[b.Name] = len(out)
			out = append(out, b)
		}
	}
	var missing []string
	for _, d := range declared {
		if _, ok := index[d.Name]; !ok && !d.Optional {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("workspace %s is not bound: give it with -w name=NAME,emptyDir= (or claimName=, volumeClaimTemplateFile=, config=, secret=)", strings.Join(missing, ", "))
	}
	return out, nil
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
