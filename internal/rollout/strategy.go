package rollout

import "fmt"

// Colors of a blue-green app.
const (
	Blue  = "blue"
	Green = "green"
)

// NextColor is the color a blue-green deploy brings up beside the live one.
func NextColor(live string) string {
	if live == Blue {
		return Green
	}
	return Blue
}

// ColorName is the name of a Deployment's color: NAME-COLOR.
func ColorName(name, color string) string { return name + "-" + color }

// PreviewName is the Service that reaches the color being brought up.
func PreviewName(service string) string { return service + "-preview" }

// CanaryName is the canary Deployment beside NAME.
func CanaryName(name string) string { return name + "-canary" }

// Canaries returns how many of a Deployment's replicas the canary runs: the
// ratio of them rounded up, at least one.
func Canaries(replicas int32, ratio float64) (int32, error) {
	if !(ratio > 0 && ratio <= 1) {
		return 0, fmt.Errorf("canary ratio %v: want a number in (0, 1]", ratio)
	}
	if replicas < 1 {
		replicas = 1
	}
	n := int32(float64(replicas)*ratio + 0.999999)
	if n < 1 {
		n = 1
	}
	if n > replicas {
		n = replicas
	}
	return n, nil
}
