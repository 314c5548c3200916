package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Answer is what the app's Service "web" in env answers to GET /, through
// the API server's service proxy (so it works wherever kubectl does).
func (d *Demo) Answer(ctx context.Context, env string) (string, error) {
	data, err := d.kube.CoreV1().Services(d.Namespace(env)).ProxyGet("http", "web", "80", "/", nil).DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("GET / of Service %s/web: %w", d.Namespace(env), err)
	}
	return strings.TrimSpace(string(data)), nil
}

// Serving lists the images of the pods behind the Service "web" in env:
// ready, not on their way out, and selected by the Service (for blue-green,
// the live color only).
func (d *Demo) Serving(ctx context.Context, env string) ([]string, error) {
	ns := d.Namespace(env)
	svc, err := d.kube.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pods, err := d.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
	if err != nil {
		return nil, err
	}
	var images []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || !ready(&p) {
			continue
		}
		for _, c := range p.Spec.Containers {
			if !slices.Contains(images, c.Image) {
				images = append(images, c.Image)
			}
		}
	}
	slices.Sort(images)
	return images, nil
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Settled waits until every environment's pods serve only image (a
// REPOSITORY@DIGEST) and its Service answers "web VERSION", and says what it
// found otherwise: a rollout's old pods may take a moment to go.
func (d *Demo) Settled(ctx context.Context, image, version string, timeout time.Duration) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		last = d.serves(ctx, image, version)
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("not every environment serves %s as web %s within %v: %w", image, version, timeout, last)
	}
	return nil
}

// serves says which environment does not yet serve only image, answering
// "web VERSION", and what it serves instead.
func (d *Demo) serves(ctx context.Context, image, version string) error {
	for _, env := range Envs {
		imgs, err := d.Serving(ctx, env)
		if err != nil {
			return err
		}
		if len(imgs) != 1 || imgs[0] != image {
			return fmt.Errorf("%s serves %v", env, imgs)
		}
		answer, err := d.Answer(ctx, env)
		if err != nil {
			return err
		}
		if answer != "web "+version {
			return fmt.Errorf("%s answers %q", env, answer)
		}
	}
	return nil
}
