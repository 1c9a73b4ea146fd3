package alunitesdk

import (
	"fmt"
	"io/ioutil"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// A representative set of what SDK 1.5.0 exposes. Every PutObject/AppendObject/UploadPart also checks the
// server's x-oss-hash-crc64ecma against the SDK's own CRC-64 (EnableCRC is on by default).
func TestObjects(t *testing.T) {
	client, b := newBucket(t, "objects")

	t.Run("put_get_metadata_and_range", func(t *testing.T) {
		putString(t, b, "meta.txt", "0123456789", oss.Meta("Color", "blue"), oss.ContentType("text/plain"), oss.ContentDisposition("inline"))
		meta, err := b.GetObjectDetailedMeta("meta.txt")
		must(t, err)
		if meta.Get("X-Oss-Meta-Color") != "blue" || meta.Get("Content-Type") != "text/plain" || meta.Get("Content-Disposition") != "inline" ||
			meta.Get("Content-Length") != "10" || meta.Get("ETag") != md5ETag([]byte("0123456789")) || meta.Get("X-Oss-Object-Type") != "Normal" {
			t.Fatalf("HEAD: %v", meta)
		}
		if got := getString(t, b, "meta.txt", oss.Range(2, 5)); got != "2345" {
			t.Fatalf("Range 2-5: %q", got)
		}
		must(t, b.SetObjectMeta("meta.txt", oss.Meta("Color", "red")))
		meta, err = b.GetObjectDetailedMeta("meta.txt")
		must(t, err)
		if meta.Get("X-Oss-Meta-Color") != "red" {
			t.Fatalf("after SetObjectMeta: %v", meta)
		}
		if got := getString(t, b, "meta.txt"); got != "0123456789" {
			t.Fatalf("SetObjectMeta changed the content: %q", got)
		}
	})

	t.Run("missing_key", func(t *testing.T) {
		_, err := b.GetObject("no/such/key")
		wantServiceError(t, err, 404, "NoSuchKey", "The specified key does not exist.")
	})

	t.Run("conditional_get", func(t *testing.T) {
		putString(t, b, "cond.txt", "v1")
		_, err := b.GetObject("cond.txt", oss.IfMatch("\"00000000000000000000000000000000\""))
		wantServiceError(t, err, 412, "PreconditionFailed", "")
		if got := getString(t, b, "cond.txt", oss.IfMatch(md5ETag([]byte("v1")))); got != "v1" {
			t.Fatalf("If-Match on the right ETag: %q", got)
		}
	})

	t.Run("ListObjects_paging", func(t *testing.T) {
		var want []string
		for i := 0; i < 7; i++ {
			k := fmt.Sprintf("page/%02d.txt", i)
			want = append(want, k)
			putString(t, b, k, k)
		}
		putString(t, b, "page/sub/x.txt", "x")
		putString(t, b, "page/sub/y.txt", "y")
		var got []string
		var prefixes []string
		marker := ""
		pages := 0
		for {
			res, err := b.ListObjects(oss.Prefix("page/"), oss.Delimiter("/"), oss.MaxKeys(3), oss.Marker(marker))
			must(t, err)
			pages++
			if len(res.Objects)+len(res.CommonPrefixes) > 3 {
				t.Fatalf("page %d has %d entries", pages, len(res.Objects)+len(res.CommonPrefixes))
			}
			for _, o := range res.Objects {
				got = append(got, o.Key)
				if o.Size != int64(len(o.Key)) || o.ETag != md5ETag([]byte(o.Key)) || o.LastModified.IsZero() {
					t.Fatalf("entry %+v", o)
				}
			}
			prefixes = append(prefixes, res.CommonPrefixes...)
			if !res.IsTruncated {
				break
			}
			if res.NextMarker == "" {
				t.Fatal("IsTruncated without NextMarker")
			}
			marker = res.NextMarker
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || strings.Join(prefixes, ",") != "page/sub/" || pages != 3 {
			t.Fatalf("%d pages, keys %q, prefixes %q", pages, got, prefixes)
		}
	})

	t.Run("ListObjectsV2", func(t *testing.T) {
		t.Skip("Debian's aliyun-oss-go-sdk 1.5.0 has no ListObjectsV2 (list-type=2 arrived in SDK 2.x); V1 paging is ListObjects_paging")
	})

	t.Run("object_tagging", func(t *testing.T) {
		t.Skip("Debian's aliyun-oss-go-sdk 1.5.0 has no object tagging API (PutObjectTagging arrived in SDK 1.9)")
	})

	t.Run("copy", func(t *testing.T) {
		putString(t, b, "copy/src-中文.txt", "copy me", oss.Meta("Kept", "yes"))
		res, err := b.CopyObject("copy/src-中文.txt", "copy/dst.txt")
		must(t, err)
		if res.ETag != md5ETag([]byte("copy me")) {
			t.Fatalf("CopyObject ETag %s", res.ETag)
		}
		meta, err := b.GetObjectDetailedMeta("copy/dst.txt")
		must(t, err)
		if meta.Get("X-Oss-Meta-Kept") != "yes" {
			t.Fatalf("metadata not copied: %v", meta)
		}
		if got := getString(t, b, "copy/dst.txt"); got != "copy me" {
			t.Fatalf("copy content %q", got)
		}
		// REPLACE takes the request's metadata instead of the source's.
		_, err = b.CopyObject("copy/src-中文.txt", "copy/replaced.txt", oss.MetadataDirective(oss.MetaReplace), oss.Meta("New", "1"))
		must(t, err)
		meta, err = b.GetObjectDetailedMeta("copy/replaced.txt")
		must(t, err)
		if meta.Get("X-Oss-Meta-New") != "1" || meta.Get("X-Oss-Meta-Kept") != "" {
			t.Fatalf("REPLACE metadata: %v", meta)
		}
		// Copy from another bucket of the account.
		other := fmt.Sprintf("%s-dst", b.BucketName)
		must(t, client.CreateBucket(other))
		ob, err := client.Bucket(other)
		must(t, err)
		_, err = ob.CopyObjectFrom(b.BucketName, "copy/src-中文.txt", "from-other.txt")
		must(t, err)
		if got := getString(t, ob, "from-other.txt"); got != "copy me" {
			t.Fatalf("cross-bucket copy %q", got)
		}
		_, err = b.CopyObject("copy/missing", "copy/never.txt")
		wantServiceError(t, err, 404, "NoSuchKey", "")
	})

	t.Run("append", func(t *testing.T) {
		next, err := b.AppendObject("append.log", strings.NewReader("first,"), 0)
		must(t, err)
		if next != 6 {
			t.Fatalf("next position %d", next)
		}
		next, err = b.AppendObject("append.log", strings.NewReader("second"), next)
		must(t, err)
		if next != 12 {
			t.Fatalf("next position %d", next)
		}
		// DoAppendObject: SDK 1.5.0's AppendObject dereferences a nil result when the call fails.
		_, err = b.DoAppendObject(&oss.AppendObjectRequest{ObjectKey: "append.log", Reader: strings.NewReader("stale"), Position: 6}, nil)
		wantServiceError(t, err, 409, "PositionNotEqualToLength", "")
		meta, err := b.GetObjectDetailedMeta("append.log")
		must(t, err)
		if meta.Get("X-Oss-Object-Type") != "Appendable" || meta.Get("X-Oss-Next-Append-Position") != "12" {
			t.Fatalf("HEAD: %v", meta)
		}
		if got := getString(t, b, "append.log"); got != "first,second" {
			t.Fatalf("content %q", got)
		}
		// Appending to a Normal object is refused.
		putString(t, b, "normal.txt", "n")
		_, err = b.DoAppendObject(&oss.AppendObjectRequest{ObjectKey: "normal.txt", Reader: strings.NewReader("x"), Position: 1}, nil)
		wantServiceError(t, err, 409, "ObjectNotAppendable", "")
	})

	// The SDK's own TestAppendObject: a later append's ObjectACL is taken, its Meta ignored (api-docs
	// AppendObject limits only x-oss-storage-class and x-oss-meta-* to the first append).
	t.Run("append_later_acl", func(t *testing.T) {
		next, err := b.AppendObject("append-acl.log", strings.NewReader("first,"), 0, oss.ObjectACL(oss.ACLPublicReadWrite), oss.Meta("my", "myprop"))
		must(t, err)
		acl, err := b.GetObjectACL("append-acl.log")
		must(t, err)
		if acl.ACL != string(oss.ACLPublicReadWrite) {
			t.Fatalf("ACL after the first append %q", acl.ACL)
		}
		next, err = b.AppendObject("append-acl.log", strings.NewReader("second"), next, oss.ObjectACL(oss.ACLPublicRead), oss.Meta("my", "myproptwo"), oss.Meta("mine", "mypropmine"))
		must(t, err)
		meta, err := b.GetObjectDetailedMeta("append-acl.log")
		must(t, err)
		if meta.Get("X-Oss-Meta-My") != "myprop" || meta.Get("X-Oss-Meta-Mine") != "" || meta.Get("X-Oss-Next-Append-Position") != fmt.Sprint(next) {
			t.Fatalf("HEAD after the second append: %v", meta)
		}
		acl, err = b.GetObjectACL("append-acl.log")
		must(t, err)
		if acl.ACL != string(oss.ACLPublicRead) {
			t.Fatalf("ACL after the second append %q, want public-read", acl.ACL)
		}
	})

	// The SDK's own TestPutObjectNegative: PutObject with IfModifiedSince on a missing key fails. OSS answers
	// 400 NotImplemented naming the header (error page 0017-00000245) and writes nothing.
	t.Run("put_with_a_condition", func(t *testing.T) {
		past := time.Now().Add(-24 * time.Hour)
		err := b.PutObject("cond-put.txt", strings.NewReader("never"), oss.IfModifiedSince(past))
		wantServiceError(t, err, 400, "NotImplemented", "A header you provided implies functionality that is not implemented.")
		err = b.PutObject("cond-put.txt", strings.NewReader("never"), oss.IfMatch("\"0123\""))
		wantServiceError(t, err, 400, "NotImplemented", "")
		if exists(t, b, "cond-put.txt") {
			t.Fatal("a refused conditional PutObject wrote the object")
		}
	})

	t.Run("symlink", func(t *testing.T) {
		putString(t, b, "target-dir/target.txt", "behind the link")
		must(t, b.PutSymlink("link.txt", "target-dir/target.txt"))
		h, err := b.GetSymlink("link.txt")
		must(t, err)
		if h.Get("X-Oss-Symlink-Target") != "target-dir/target.txt" {
			t.Fatalf("x-oss-symlink-target %q", h.Get("X-Oss-Symlink-Target"))
		}
		if got := getString(t, b, "link.txt"); got != "behind the link" {
			t.Fatalf("GET through the link %q", got)
		}
		meta, err := b.GetObjectDetailedMeta("link.txt")
		must(t, err)
		// HEAD through the link describes the target (its size and ETag).
		if meta.Get("Content-Length") != "15" || meta.Get("ETag") != md5ETag([]byte("behind the link")) {
			t.Fatalf("HEAD on the link: %v", meta)
		}
		_, err = b.GetSymlink("target-dir/target.txt")
		wantServiceError(t, err, 400, "NotSymlink", "")
	})

	t.Run("keys_with_spaces_and_plus", func(t *testing.T) {
		// The SDK's own TestPutObject/TestListObjects keys, which it sends with spaces as '+' (see spacedKeys).
		for _, key := range []string{"go/中国 日本 +-#&=*", "go go ` ~ ! @ # $ % ^ & * () - _ + =[] {} \\ | < > , . ? / 0"} {
			putString(t, b, key, "明月几时有，把酒问青天")
			if got := getString(t, b, key); got != "明月几时有，把酒问青天" {
				t.Fatalf("GET %q: %q", key, got)
			}
			res, err := b.ListObjects(oss.Prefix(key))
			must(t, err)
			if len(res.Objects) != 1 || res.Objects[0].Key != key {
				t.Fatalf("ListObjects(prefix %q): %+v", key, res.Objects)
			}
			must(t, b.DeleteObject(key))
		}
	})

	t.Run("copy_source_with_spaces", func(t *testing.T) {
		// x-oss-copy-source carries the key url.QueryEscape'd: spaces as '+', a plus as %2B.
		putString(t, b, "copy/a b+c.txt", "spaced source")
		_, err := b.CopyObject("copy/a b+c.txt", "copy/from-spaced.txt")
		must(t, err)
		if got := getString(t, b, "copy/from-spaced.txt"); got != "spaced source" {
			t.Fatalf("copy content %q", got)
		}
	})

	t.Run("symlink_target_with_spaces", func(t *testing.T) {
		// x-oss-symlink-target is url.QueryEscape'd the same way, and GetSymlink QueryUnescapes the answer.
		putString(t, b, "target dir/a+b.txt", "spaced target")
		must(t, b.PutSymlink("spaced-link.txt", "target dir/a+b.txt"))
		h, err := b.GetSymlink("spaced-link.txt")
		must(t, err)
		if h.Get("X-Oss-Symlink-Target") != "target dir/a+b.txt" {
			t.Fatalf("x-oss-symlink-target %q", h.Get("X-Oss-Symlink-Target"))
		}
		if got := getString(t, b, "spaced-link.txt"); got != "spaced target" {
			t.Fatalf("GET through the link %q", got)
		}
	})

	t.Run("object_ACL", func(t *testing.T) {
		putString(t, b, "acl.txt", "public")
		must(t, b.SetObjectACL("acl.txt", oss.ACLPublicRead))
		res, err := b.GetObjectACL("acl.txt")
		must(t, err)
		if res.ACL != string(oss.ACLPublicRead) {
			t.Fatalf("ACL %q", res.ACL)
		}
		status, body := doURL(t, "GET", cfg.url+"/"+b.BucketName+"/acl.txt", "", "")
		if status != 200 || body != "public" {
			t.Fatalf("anonymous GET of a public-read object: %d %s", status, body)
		}
	})

	t.Run("get_to_file_and_download", func(t *testing.T) {
		data := deterministic(250*1024, 5)
		putString(t, b, "download.bin", string(data))
		path := t.TempDir() + "/d.bin"
		must(t, b.DownloadFile("download.bin", path, partSize, oss.Routines(3)))
		got, err := ioutil.ReadFile(path)
		must(t, err)
		if string(got) != string(data) {
			t.Fatal("DownloadFile content differs")
		}
	})
}
