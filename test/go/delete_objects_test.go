package alunitesdk

import (
	"sort"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Keys that are awkward in XML bodies, URLs or both. The SDK escapes them in the <Delete> body with
// encoding/xml (&#39; &#34; &lt; &amp; &#x9; …) and asks for encoding-type=url in the answer, which it
// URL-decodes.
var awkwardKeys = []string{
	"awkward/it's",
	`awkward/a"b`,
	"awkward/<tag>&amp;",
	"awkward/tab\there",
	"awkward/new\nline",
	"awkward/carriage\rreturn",
	"awkward/unicode-中文-ü-🙂",
	"awkward/plus+sign",
	"awkward/percent%20kept",
	"awkward/question?mark#hash",
	"awkward/a=b&c=d",
}

// Spaces travel as '+' in the path with SDK 1.5.0 (url.QueryEscape; SDK 1.5.2 switched to %20): OSS reads
// a raw '+' in the path as a space, and a literal plus arrives as %2B. The SDK's own tests put
// "go/中国 日本 +-#&=*" against the cloud this way (bucket_test.go TestPutObject).
var spacedKeys = []string{
	"awkward/unicode 中文 ü 🙂",
	"awkward/  spaces  ",
	"awkward/go/中国  日本  +-#&=*",
	"awkward/a + b",
}

func sorted(keys []string) []string {
	out := append([]string(nil), keys...)
	sort.Strings(out)
	return out
}

func listAll(t *testing.T, b *oss.Bucket, prefix string) []string {
	t.Helper()
	var keys []string
	marker := ""
	for {
		res, err := b.ListObjects(oss.Prefix(prefix), oss.Marker(marker), oss.MaxKeys(100))
		must(t, err)
		for _, o := range res.Objects {
			keys = append(keys, o.Key)
		}
		if !res.IsTruncated {
			return keys
		}
		marker = res.NextMarker
	}
}

// gone asserts HEAD answers 404 and no listing (encoding-type=url) shows the key.
func gone(t *testing.T, b *oss.Bucket, key string) {
	t.Helper()
	_, err := b.GetObjectDetailedMeta(key)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("HEAD %q: %v", key, err)
	}
	for _, k := range listAll(t, b, key) {
		if k == key {
			t.Errorf("%q is still listed", key)
		}
	}
}

func TestDeleteObjects(t *testing.T) {
	_, b := newBucket(t, "delete")
	putAll := func(t *testing.T, keys []string) {
		for _, k := range keys {
			putString(t, b, k, "content of "+k)
		}
		if got := listAll(t, b, "awkward/"); strings.Join(sorted(got), "\x00") != strings.Join(sorted(keys), "\x00") {
			t.Fatalf("listing after the puts: %q", got)
		}
		for _, k := range keys {
			if got := getString(t, b, k); got != "content of "+k {
				t.Fatalf("GET %q: %q", k, got)
			}
		}
	}
	deleteAll := func(t *testing.T, keys []string) {
		putAll(t, keys)
		res, err := b.DeleteObjects(keys)
		must(t, err)
		if strings.Join(sorted(res.DeletedObjects), "\x00") != strings.Join(sorted(keys), "\x00") {
			t.Fatalf("Deleted keys (URL-decoded by the SDK):\n got %q\nwant %q", sorted(res.DeletedObjects), sorted(keys))
		}
		for _, k := range keys {
			gone(t, b, k)
		}
		if left := listAll(t, b, "awkward/"); len(left) != 0 {
			t.Fatalf("still listed: %q", left)
		}
	}

	t.Run("verbose", func(t *testing.T) { deleteAll(t, awkwardKeys) })

	t.Run("keys_with_spaces", func(t *testing.T) { deleteAll(t, spacedKeys) })

	t.Run("quiet", func(t *testing.T) {
		putAll(t, awkwardKeys)
		// In quiet mode SDK 1.5.0 does not read the answer: what counts is that the objects are gone.
		_, err := b.DeleteObjects(awkwardKeys, oss.DeleteObjectsQuiet(true))
		must(t, err)
		for _, k := range awkwardKeys {
			gone(t, b, k)
		}
	})

	t.Run("missing_keys_count_as_deleted", func(t *testing.T) {
		putString(t, b, "awkward/present", "x")
		res, err := b.DeleteObjects([]string{"awkward/present", "awkward/never existed"})
		must(t, err)
		if strings.Join(sorted(res.DeletedObjects), "|") != "awkward/never existed|awkward/present" {
			t.Fatalf("Deleted: %q", res.DeletedObjects)
		}
		gone(t, b, "awkward/present")
	})

	t.Run("form_feed_and_vertical_tab", func(t *testing.T) {
		// \f and \v are not XML 1.0 characters: Go's encoder replaces them with U+FFFD, so the SDK's batch
		// delete names a different key. That key counts as deleted (it does not exist); the real objects
		// must stay untouched, and a single DeleteObject (key in the URL) removes them.
		keys := []string{"awkward/form\ffeed", "awkward/vertical\vtab"}
		for _, k := range keys {
			putString(t, b, k, "ctl")
		}
		res, err := b.DeleteObjects(keys)
		must(t, err)
		if strings.Join(sorted(res.DeletedObjects), "|") != "awkward/form\uFFFDfeed|awkward/vertical\uFFFDtab" {
			t.Fatalf("Deleted: %q", res.DeletedObjects)
		}
		for _, k := range keys {
			if !exists(t, b, k) {
				t.Fatalf("%q was deleted through a different key", k)
			}
			must(t, b.DeleteObject(k))
			gone(t, b, k)
		}
	})
}
