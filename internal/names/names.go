// Package names makes deterministic Kubernetes object names: a controller
// restarted at any moment computes the same name again and finds the object
// it made instead of making a second one.
package names

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Fit returns base+suffix, or, when that is longer than max, base cut short
// with a hash of the whole name appended so distinct names stay distinct.
func Fit(base, suffix string, max int) string {
	if len(base)+len(suffix) <= max {
		return base + suffix
	}
	sum := sha256.Sum256([]byte(base + suffix))
	h := hex.EncodeToString(sum[:])[:8]
	return strings.TrimRight(base[:max-len(suffix)-len(h)-1], ".-") + "-" + h + suffix
}
