package alunitesdk

import (
	"bytes"
	"io/ioutil"
	"os"
	"path/filepath"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

const partSize = 100 * 1024

// The Go SDK's own test vector (upload_test.go in aliyun-oss-go-sdk): sample/BingWallpaper-2015-11-07.jpg,
// 482,048 bytes, in 100 KiB parts.
const bingFile = "BingWallpaper-2015-11-07.jpg"
const bingETag = "\"2351E662233817A7AE974D8C5B0876DD-5\""

func TestMultipart(t *testing.T) {
	_, b := newBucket(t, "multipart")

	t.Run("initiate_upload_complete", func(t *testing.T) {
		data := deterministic(2*partSize+50*1024, 1)
		imur, err := b.InitiateMultipartUpload("dir/three-parts.bin", oss.Meta("Origin", "go"))
		must(t, err)
		var parts []oss.UploadPart
		for i := 0; i*partSize < len(data); i++ {
			end := (i + 1) * partSize
			if end > len(data) {
				end = len(data)
			}
			chunk := data[i*partSize : end]
			p, err := b.UploadPart(imur, bytes.NewReader(chunk), int64(len(chunk)), i+1)
			must(t, err)
			if p.ETag != md5ETag(chunk) {
				t.Fatalf("part %d ETag %s, want %s", i+1, p.ETag, md5ETag(chunk))
			}
			parts = append(parts, p)
		}
		listed, err := b.ListUploadedParts(imur)
		must(t, err)
		if len(listed.UploadedParts) != 3 {
			t.Fatalf("ListParts shows %d parts", len(listed.UploadedParts))
		}
		// The SDK's XML encoder writes the ETags' quotes as &#34; (a character reference).
		res, err := b.CompleteMultipartUpload(imur, parts)
		must(t, err)
		want := ossMultipartETag(data, partSize)
		if res.ETag != want {
			t.Fatalf("CompleteMultipartUpload ETag %s, want %s (OSS formula)", res.ETag, want)
		}
		meta, err := b.GetObjectDetailedMeta("dir/three-parts.bin")
		must(t, err)
		if meta.Get("ETag") != want || meta.Get("X-Oss-Meta-Origin") != "go" || meta.Get("X-Oss-Object-Type") != "Multipart" {
			t.Fatalf("HEAD: ETag %s, x-oss-meta-origin %q, x-oss-object-type %q", meta.Get("ETag"), meta.Get("X-Oss-Meta-Origin"), meta.Get("X-Oss-Object-Type"))
		}
		if got := getString(t, b, "dir/three-parts.bin"); got != string(data) {
			t.Fatal("content differs")
		}
	})

	t.Run("UploadFile_helper", func(t *testing.T) {
		// Same size as the SDK's vector file; the helper splits it into 5 parts and uploads them concurrently.
		data := deterministic(482048, 2)
		path := filepath.Join(t.TempDir(), "upload.bin")
		must(t, ioutil.WriteFile(path, data, 0o600))
		must(t, b.UploadFile("upload/file.bin", path, partSize, oss.Routines(3)))
		meta, err := b.GetObjectDetailedMeta("upload/file.bin")
		must(t, err)
		if want := ossMultipartETag(data, partSize); meta.Get("ETag") != want {
			t.Fatalf("ETag %s, want %s (OSS formula: MD5 of the parts' upper-case hex MD5 text)", meta.Get("ETag"), want)
		}
		if got := getString(t, b, "upload/file.bin"); got != string(data) {
			t.Fatal("content differs")
		}
	})

	t.Run("UploadFile_with_checkpoint", func(t *testing.T) {
		data := deterministic(3*partSize+1, 3)
		dir := t.TempDir()
		path := filepath.Join(dir, "cp.bin")
		must(t, ioutil.WriteFile(path, data, 0o600))
		must(t, b.UploadFile("upload/cp.bin", path, partSize, oss.Routines(2), oss.Checkpoint(true, filepath.Join(dir, "cp.json"))))
		if got := getString(t, b, "upload/cp.bin"); got != string(data) {
			t.Fatal("content differs")
		}
	})

	t.Run("ETag_vector_of_the_SDK_sample_file", func(t *testing.T) {
		path := filepath.Join(cfg.fixtures, bingFile)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s is not shipped by Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev (the +dfsg package drops sample/); the formula is checked on same-sized data by UploadFile_helper", bingFile)
		}
		must(t, b.UploadFile("sample/"+bingFile, path, partSize, oss.Routines(3)))
		meta, err := b.GetObjectDetailedMeta("sample/" + bingFile)
		must(t, err)
		if meta.Get("ETag") != bingETag {
			t.Fatalf("ETag %s, want %s", meta.Get("ETag"), bingETag)
		}
	})

	t.Run("abort_and_list_uploads", func(t *testing.T) {
		imur, err := b.InitiateMultipartUpload("aborted.bin")
		must(t, err)
		_, err = b.UploadPart(imur, bytes.NewReader(deterministic(partSize, 4)), partSize, 1)
		must(t, err)
		uploads, err := b.ListMultipartUploads(oss.Prefix("aborted"))
		must(t, err)
		if len(uploads.Uploads) != 1 || uploads.Uploads[0].UploadID != imur.UploadID {
			t.Fatalf("ListMultipartUploads: %+v", uploads.Uploads)
		}
		must(t, b.AbortMultipartUpload(imur))
		uploads, err = b.ListMultipartUploads(oss.Prefix("aborted"))
		must(t, err)
		if len(uploads.Uploads) != 0 {
			t.Fatalf("the aborted upload is still listed: %+v", uploads.Uploads)
		}
		_, err = b.ListUploadedParts(imur)
		wantServiceError(t, err, 404, "NoSuchUpload", "")
		if exists(t, b, "aborted.bin") {
			t.Fatal("the aborted upload created the object")
		}
	})

	t.Run("complete_with_a_part_too_small", func(t *testing.T) {
		imur, err := b.InitiateMultipartUpload("small.bin")
		must(t, err)
		p1, err := b.UploadPart(imur, bytes.NewReader([]byte("tiny")), 4, 1)
		must(t, err)
		p2, err := b.UploadPart(imur, bytes.NewReader([]byte("last")), 4, 2)
		must(t, err)
		_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{p1, p2})
		wantServiceError(t, err, 400, "EntityTooSmall", "")
		must(t, b.AbortMultipartUpload(imur))
	})

	// x-oss-copy-source-range that does not fit the source copies the whole source (api-docs UploadPartCopy):
	// the SDK's UploadPartCopy(imur, bucket, "src", 0, 100, 1) of a 10-byte object sends bytes=0-99.
	t.Run("UploadPartCopy_range_past_the_end", func(t *testing.T) {
		putString(t, b, "copy-src.txt", "0123456789")
		imur, err := b.InitiateMultipartUpload("copied.txt")
		must(t, err)
		whole, err := b.UploadPartCopy(imur, b.BucketName, "copy-src.txt", 0, 100, 1)
		must(t, err)
		if whole.ETag != md5ETag([]byte("0123456789")) {
			t.Fatalf("bytes=0-99 of 10 bytes: ETag %s, want the whole source's %s", whole.ETag, md5ETag([]byte("0123456789")))
		}
		part, err := b.UploadPartCopy(imur, b.BucketName, "copy-src.txt", 2, 4, 2)
		must(t, err)
		if part.ETag != md5ETag([]byte("2345")) {
			t.Fatalf("bytes=2-5: ETag %s", part.ETag)
		}
		listed, err := b.ListUploadedParts(imur)
		must(t, err)
		if len(listed.UploadedParts) != 2 || listed.UploadedParts[0].Size != 10 || listed.UploadedParts[1].Size != 4 {
			t.Fatalf("ListParts: %+v", listed.UploadedParts)
		}
		must(t, b.AbortMultipartUpload(imur))
	})

	// api-docs UploadPartCopy: objects uploaded with AppendObject cannot be copied this way (the code is ours).
	t.Run("UploadPartCopy_of_an_Appendable_object", func(t *testing.T) {
		_, err := b.AppendObject("appended.log", bytes.NewReader([]byte("appended")), 0)
		must(t, err)
		imur, err := b.InitiateMultipartUpload("from-appendable.bin")
		must(t, err)
		_, err = b.UploadPartCopy(imur, b.BucketName, "appended.log", 0, 8, 1)
		wantServiceError(t, err, 400, "InvalidArgument", "")
		must(t, b.AbortMultipartUpload(imur))
	})
}
