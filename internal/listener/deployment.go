package listener

import (
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	triggersv1 "github.com/windlass-dev/windlass/apis/triggers/v1alpha1"
)

// The listener's container and ports.
const (
	ContainerName       = "eventlistener"
	HTTPPort      int32 = 8080
	MetricsPort   int32 = 9000
	// RunAsUser is the non-root user of the listener (distroless "nonroot").
	RunAsUser int64 = 65532
)

// Defaults of the EventListener's optional fields.
const (
	DefaultReplicas     int32 = 1
	DefaultServicePort  int32 = 8080
	DefaultMaxBodyBytes int64 = 1 << 20
)

// Config is what the controller adds to a listener's spec.
type Config struct {
	// Image runs the listener (--eventlistener-image); without it no
	// Deployment is built.
	Image string
}

// Desired is everything the controller makes for one listener.
type Desired struct {
	// ServiceAccount is nil when spec.serviceAccountName names the account.
	ServiceAccount      *corev1.ServiceAccount
	Role                *rbacv1.Role
	RoleBinding         *rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
	// ForeignRoles and ForeignRoleBindings are in namespaceSelector's namespaces, in ForeignNamespaces order.
	ForeignRoles        []*rbacv1.Role
	ForeignRoleBindings []*rbacv1.RoleBinding
	Service             *corev1.Service
	// Deployment is nil without Config.Image.
	Deployment *appsv1.Deployment
}

// Build returns the objects serving el, given what its triggers need.
func Build(el *triggersv1.EventListener, a *Analysis, cfg Config) *Desired {
	d := &Desired{
		ServiceAccount:      ServiceAccount(el),
		Role:                Role(el, a),
		RoleBinding:         RoleBinding(el),
		ClusterRoleBindings: ClusterRoleBindings(el),
		Service:             Service(el),
	}
	for _, ns := range ForeignNamespaces(el) {
		r, b := ForeignRBAC(el, ns)
		d.ForeignRoles, d.ForeignRoleBindings = append(d.ForeignRoles, r), append(d.ForeignRoleBindings, b)
	}
	if cfg.Image != "" {
		d.Deployment = Deployment(el, cfg)
	}
	return d
}

func kubernetesResource(el *triggersv1.EventListener) triggersv1.KubernetesResource {
	if kr := el.Spec.Resources.KubernetesResource; kr != nil {
		return *kr
	}
	return triggersv1.KubernetesResource{}
}

// Replicas is spec.resources.kubernetesResource.replicas, default 1.
func Replicas(el *triggersv1.EventListener) int32 {
	return ptr.Deref(kubernetesResource(el).Replicas, DefaultReplicas)
}

// ServicePort is the Service's port, default 8080.
func ServicePort(el *triggersv1.EventListener) int32 {
	return ptr.Deref(kubernetesResource(el).ServicePort, DefaultServicePort)
}

// Address is the listener's URL inside the cluster.
func Address(el *triggersv1.EventListener) string {
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", GeneratedName(el), el.Namespace, ServicePort(el))
}

// DefaultResources of the listener's container. No CPU limit: a throttled
// listener answers webhooks late (design.md section 4).
func DefaultResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
	}
}

// Deployment runs the listener: the user's pod template (labels,
// annotations, node selector, tolerations, priority class, the container's
// env and resources) under a fixed, restricted container.
func Deployment(el *triggersv1.EventListener, cfg Config) *appsv1.Deployment {
	var tmpl triggersv1.ListenerPodTemplate
	if s := kubernetesResource(el).Spec; s != nil {
		tmpl = *s.Template.DeepCopy()
	}
	ctr := triggersv1.ListenerContainer{}
	if len(tmpl.Spec.Containers) > 0 {
		ctr = tmpl.Spec.Containers[0]
	}
	// The user's resources replace the defaults whole: merging per key could
	// pair a user's memory request with a default limit below it.
	res := DefaultResources()
	if len(ctr.Resources.Requests) > 0 || len(ctr.Resources.Limits) > 0 || len(ctr.Resources.Claims) > 0 {
		res = ctr.Resources
	}
	podLabels := map[string]string{}
	maps.Copy(podLabels, tmpl.Metadata.Labels)
	maps.Copy(podLabels, Labels(el)) // ours win: the selector depends on them
	maxBody := DefaultMaxBodyBytes
	if el.Spec.MaxBodyBytes != nil {
		maxBody = *el.Spec.MaxBodyBytes
	}
	container := corev1.Container{
		Name:  ContainerName,
		Image: cfg.Image,
		Args: []string{
			"--name=" + el.Name,
			"--namespace=" + el.Namespace,
			fmt.Sprintf("--port=%d", HTTPPort),
			fmt.Sprintf("--metrics-port=%d", MetricsPort),
			fmt.Sprintf("--max-body-bytes=%d", maxBody),
		},
		Ports: []corev1.ContainerPort{
			{Name: "http", ContainerPort: HTTPPort, Protocol: corev1.ProtocolTCP},
			{Name: "metrics", ContainerPort: MetricsPort, Protocol: corev1.ProtocolTCP},
		},
		Env:       ctr.Env,
		Resources: res,
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromInt32(HTTPPort)}},
			PeriodSeconds: 2, FailureThreshold: 3,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(HTTPPort)}},
			PeriodSeconds: 10, FailureThreshold: 3,
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr.To(true),
			RunAsUser:                ptr.To(RunAsUser),
			RunAsGroup:               ptr.To(RunAsUser),
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "Deployment"},
		ObjectMeta: objectMeta(el, GeneratedName(el)),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(Replicas(el)),
			Selector: &metav1.LabelSelector{MatchLabels: SelectorLabels(el)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: tmpl.Metadata.Annotations},
				Spec: corev1.PodSpec{
					ServiceAccountName: ServiceAccountName(el),
					// The listener reaches the API server through its own client,
					// not through the Service environment variables of the namespace.
					EnableServiceLinks: ptr.To(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr.To(true),
						RunAsUser:      ptr.To(RunAsUser),
						RunAsGroup:     ptr.To(RunAsUser),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					NodeSelector:      tmpl.Spec.NodeSelector,
					Tolerations:       tmpl.Spec.Tolerations,
					PriorityClassName: tmpl.Spec.PriorityClassName,
					Containers:        []corev1.Container{container},
				},
			},
		},
	}
}

// Service exposes the listener: servicePort (default 8080) to the
// container's 8080, named http, and the metrics on 9000, named http-metrics.
func Service(el *triggersv1.EventListener) *corev1.Service {
	typ := kubernetesResource(el).ServiceType
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: objectMeta(el, GeneratedName(el)),
		Spec: corev1.ServiceSpec{
			Type:     typ,
			Selector: SelectorLabels(el),
			Ports: []corev1.ServicePort{
				{Name: "http", Port: ServicePort(el), TargetPort: intstr.FromInt32(HTTPPort), Protocol: corev1.ProtocolTCP},
				{Name: "http-metrics", Port: MetricsPort, TargetPort: intstr.FromInt32(MetricsPort), Protocol: corev1.ProtocolTCP},
			},
		},
	}
}
