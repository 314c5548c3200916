package manager

// The manager's own cluster-wide permissions; each reconciler declares its own
// next to its Reconcile method. controller-gen turns them into config/rbac/role.yaml.

// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
