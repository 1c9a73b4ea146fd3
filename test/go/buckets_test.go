package alunitesdk

import (
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Bucket settings as SDK 1.5.0 sends them.
func TestBucketSettings(t *testing.T) {
	client, b := newBucket(t, "settings")

	// SetBucketACL is `PUT /<bucket>` with x-oss-acl and no ?acl (PutBucket by the owner): it sets the ACL.
	t.Run("set_bucket_acl", func(t *testing.T) {
		for _, acl := range []oss.ACLType{oss.ACLPublicRead, oss.ACLPublicReadWrite, oss.ACLPrivate} {
			must(t, client.SetBucketACL(b.BucketName, acl))
			got, err := client.GetBucketACL(b.BucketName)
			must(t, err)
			if got.ACL != string(acl) {
				t.Fatalf("after SetBucketACL(%s): GetBucketACL says %q", acl, got.ACL)
			}
		}
	})

	// The SDK's own tests reset the whitelist with one empty Referer, which OSS accepts.
	t.Run("set_bucket_referer_reset", func(t *testing.T) {
		must(t, client.SetBucketReferer(b.BucketName, []string{"http://www.aliyun.com", "https://*.example.com"}, false))
		got, err := client.GetBucketReferer(b.BucketName)
		must(t, err)
		if got.AllowEmptyReferer || len(got.RefererList) != 2 || got.RefererList[1] != "https://*.example.com" {
			t.Fatalf("after SetBucketReferer: %+v", got)
		}
		must(t, client.SetBucketReferer(b.BucketName, []string{""}, true))
		got, err = client.GetBucketReferer(b.BucketName)
		must(t, err)
		if !got.AllowEmptyReferer || len(got.RefererList) != 0 {
			t.Fatalf("after the reset: %+v", got)
		}
		must(t, client.SetBucketReferer(b.BucketName, nil, true)) // nil: the SDK sends one empty Referer too
	})
}
