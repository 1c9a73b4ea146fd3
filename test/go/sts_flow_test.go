package alunitesdk

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// The seeds' flow (OSS "STS temporary access authorization"): AssumeRole with a session policy that narrows
// the role to <bucket>/usr001/*, then OSS with the STS.-credentials. The effective permissions are the
// intersection of the role's policy and the session policy; anything outside is refused with the
// authorizer's message.
func TestSeedsFlow(t *testing.T) {
	_, root := newBucket(t, "seeds")
	putString(t, root, "test.txt", "ststest")
	putString(t, root, "usr001/existing.txt", "inside")
	policy := fmt.Sprintf(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject","oss:DeleteObject"],"Resource":["acs:oss:*:*:%s/usr001/*"]}]}`, root.BucketName)
	creds := assumeRole(t, "usr001", policy, 3600)

	t.Run("V1", func(t *testing.T) {
		b := stsBucket(t, creds, root.BucketName)
		t.Run("write_inside_the_prefix", func(t *testing.T) {
			putString(t, b, "usr001/go.txt", "written with STS")
			if got := getString(t, root, "usr001/go.txt"); got != "written with STS" {
				t.Fatalf("root reads %q", got)
			}
		})
		t.Run("read_inside_the_prefix", func(t *testing.T) {
			if got := getString(t, b, "usr001/existing.txt"); got != "inside" {
				t.Fatalf("got %q", got)
			}
		})
		t.Run("delete_inside_the_prefix", func(t *testing.T) {
			putString(t, root, "usr001/gone.txt", "x")
			must(t, b.DeleteObject("usr001/gone.txt"))
			if exists(t, root, "usr001/gone.txt") {
				t.Fatal("usr001/gone.txt still exists")
			}
		})
		t.Run("write_outside_the_prefix_is_denied", func(t *testing.T) {
			err := b.PutObject("usr002/go.txt", strings.NewReader("no"))
			wantServiceError(t, err, 403, "AccessDenied", authorizerDenied)
			if exists(t, root, "usr002/go.txt") {
				t.Fatal("the refused write created usr002/go.txt")
			}
		})
		t.Run("read_outside_the_prefix_is_denied", func(t *testing.T) {
			_, err := b.GetObject("test.txt")
			wantServiceError(t, err, 403, "AccessDenied", authorizerDenied)
		})
		t.Run("list_is_outside_the_session_policy", func(t *testing.T) {
			_, err := b.ListObjects(oss.Prefix("usr001/"))
			wantServiceError(t, err, 403, "AccessDenied", authorizerDenied)
		})
		t.Run("multipart_inside_the_prefix_needs_its_actions", func(t *testing.T) {
			// The session policy grants oss:PutObject, which covers InitiateMultipartUpload/UploadPart/Complete.
			data := deterministic(150*1024, 7)
			imur, err := b.InitiateMultipartUpload("usr001/mp.bin")
			must(t, err)
			var parts []oss.UploadPart
			for i, off := 0, 0; off < len(data); i, off = i+1, off+100*1024 {
				end := off + 100*1024
				if end > len(data) {
					end = len(data)
				}
				p, err := b.UploadPart(imur, strings.NewReader(string(data[off:end])), int64(end-off), i+1)
				must(t, err)
				parts = append(parts, p)
			}
			_, err = b.CompleteMultipartUpload(imur, parts)
			must(t, err)
			if got := getString(t, root, "usr001/mp.bin"); got != string(data) {
				t.Fatal("content differs")
			}
		})
	})

	t.Run("V4", func(t *testing.T) {
		t.Skip("Debian's aliyun-oss-go-sdk 1.5.0 signs with V1 only (auth.go signHeader: \"OSS <id>:<sig>\"); V4 (OSS4-HMAC-SHA256) arrived in SDK 2.x")
	})
}
