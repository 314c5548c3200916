package podspec

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// TestWorkspaceBindings: each kind of binding becomes the pod's volume, and
// its mount is read-only where Tekton's is (configMap, secret, projected,
// csi with readOnly) or where the Task declares it so.
func TestWorkspaceBindings(t *testing.T) {
	projected := &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
		{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}}}
	tests := []struct {
		name     string
		binding  windlassv1.WorkspaceBinding
		declared windlassv1.WorkspaceDeclaration
		check    func(corev1.VolumeSource) bool
		readOnly bool
	}{
		{"emptyDir", windlassv1.WorkspaceBinding{EmptyDir: &corev1.EmptyDirVolumeSource{}}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool { return v.EmptyDir != nil }, false},
		{"emptyDir declared readOnly", windlassv1.WorkspaceBinding{EmptyDir: &corev1.EmptyDirVolumeSource{}}, windlassv1.WorkspaceDeclaration{ReadOnly: true},
			func(v corev1.VolumeSource) bool { return v.EmptyDir != nil }, true},
		{"claim", windlassv1.WorkspaceBinding{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool {
				return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "c"
			}, false},
		{"claim template", windlassv1.WorkspaceBinding{VolumeClaimTemplate: &corev1.PersistentVolumeClaim{}}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool {
				return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == ClaimName("build-1", "w")
			}, false},
		{"claim template named: its name prefixes the claim's, as in Tekton", windlassv1.WorkspaceBinding{VolumeClaimTemplate: &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "pvc"}}}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool {
				return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == "pvc-build-1-w"
			}, false},
		{"configMap", windlassv1.WorkspaceBinding{ConfigMap: &corev1.ConfigMapVolumeSource{}}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool { return v.ConfigMap != nil }, true},
		{"secret", windlassv1.WorkspaceBinding{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool { return v.Secret != nil }, true},
		{"projected", windlassv1.WorkspaceBinding{Projected: projected}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool { return v.Projected != nil && len(v.Projected.Sources) == 1 }, true},
		{"csi", windlassv1.WorkspaceBinding{CSI: &corev1.CSIVolumeSource{Driver: "d"}}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool { return v.CSI != nil && v.CSI.Driver == "d" }, false},
		{"csi readOnly", windlassv1.WorkspaceBinding{CSI: &corev1.CSIVolumeSource{Driver: "d", ReadOnly: ptr.To(true)}}, windlassv1.WorkspaceDeclaration{},
			func(v corev1.VolumeSource) bool { return v.CSI != nil }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.binding.Name, tt.declared.Name = "w", "w"
			run := taskRun(nil)
			run.Spec.Workspaces = []windlassv1.WorkspaceBinding{tt.binding}
			in := Input{Run: run, Spec: &windlassv1.TaskSpec{Workspaces: []windlassv1.WorkspaceDeclaration{tt.declared},
				Steps: []windlassv1.Step{{Image: "a", Command: []string{"x"}}}}}
			pod, err := Build(in, Config{EntrypointImage: epImage})
			if err != nil {
				t.Fatal(err)
			}
			var vol *corev1.Volume
			for i := range pod.Spec.Volumes {
				if pod.Spec.Volumes[i].Name == WorkspaceVolume("w") {
					vol = &pod.Spec.Volumes[i]
				}
			}
			if vol == nil || !tt.check(vol.VolumeSource) {
				t.Fatalf("workspace volume %+v", vol)
			}
			for _, m := range pod.Spec.Containers[0].VolumeMounts {
				if m.Name == vol.Name {
					if m.MountPath != "/workspace/w" || m.ReadOnly != tt.readOnly {
						t.Fatalf("mount %+v, want /workspace/w readOnly=%v", m, tt.readOnly)
					}
					return
				}
			}
			t.Fatal("the step does not mount the workspace")
		})
	}
}
