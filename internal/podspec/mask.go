package podspec

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/windlass-dev/windlass/internal/contract"
)

// maskVolumes tells the entrypoint of each step where the Secret values it
// receives are, by name and path only (the entrypoint reads the values):
//   - MaskEnv: each variable from a secretKeyRef;
//   - MaskPaths: each mounted Secret volume or Secret workspace (or projected
//     volume with a Secret or token among its sources);
//   - for envFrom secretRef, whose keys the pod does not list, the same
//     Secret mounted read-only at contract.MaskSecretDir(N), in MaskPaths.
//     The volume is optional: a missing Secret still fails (or, optional, is
//     skipped by) the envFrom as before.
//
// A step with none of these gets no mask and no volume.
type maskVolumes struct {
	volumes []corev1.Volume
	index   map[string]int // by Secret name
}

func (m *maskVolumes) apply(c *corev1.Container, podVolumes []corev1.Volume) (env, paths []string) {
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			env = append(env, e.Name)
		}
	}
	for _, ef := range c.EnvFrom {
		if ef.SecretRef == nil {
			continue
		}
		n := m.volume(ef.SecretRef.Name)
		dir := contract.MaskSecretDir(n)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: m.volumes[n].Name, MountPath: dir, ReadOnly: true})
		paths = append(paths, dir)
	}
	for _, vm := range c.VolumeMounts {
		i := slices.IndexFunc(podVolumes, func(v corev1.Volume) bool { return v.Name == vm.Name })
		if i >= 0 && (podVolumes[i].Secret != nil || projectsSecrets(podVolumes[i].Projected)) && !isCredentialVolume(vm.Name) {
			paths = append(paths, vm.MountPath)
		}
	}
	return env, paths
}

func (m *maskVolumes) volume(secret string) int {
	if n, ok := m.index[secret]; ok {
		return n
	}
	if m.index == nil {
		m.index = map[string]int{}
	}
	n := len(m.volumes)
	m.index[secret] = n
	m.volumes = append(m.volumes, corev1.Volume{Name: fmt.Sprintf("windlass-mask-%d", n), VolumeSource: corev1.VolumeSource{
		Secret: &corev1.SecretVolumeSource{SecretName: secret, Optional: ptr.To(true), DefaultMode: ptr.To[int32](0o444)},
	}})
	return n
}

// projectsSecrets: a projected volume with a Secret or a service account
// token among its sources is masked whole (its other files too: a harmless
// superset).
func projectsSecrets(p *corev1.ProjectedVolumeSource) bool {
	if p == nil {
		return false
	}
	return slices.ContainsFunc(p.Sources, func(s corev1.VolumeProjection) bool {
		return s.Secret != nil || s.ServiceAccountToken != nil
	})
}
