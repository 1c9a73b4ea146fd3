package alunitesdk

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io/ioutil"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/denverdino/aliyungo/sts"
)

// Debian's SDK 1.5.0 has no Bucket.SignURL (added in 1.7), so the V1 query-string URL is built here from
// the documented algorithm (OSS "Add signatures to URLs"): the string to sign is the header form with
// Expires in the Date slot, and security-token is a signed sub-resource.
func presignV1(c sts.AssumedRoleUserCredentials, method, bucket, key string, expires time.Time, contentType string) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	resource := "/" + bucket + "/" + key + "?security-token=" + c.SecurityToken
	toSign := method + "\n\n" + contentType + "\n" + exp + "\n" + resource
	mac := hmac.New(sha1.New, []byte(c.AccessKeySecret))
	mac.Write([]byte(toSign))
	q := url.Values{}
	q.Set("OSSAccessKeyId", c.AccessKeyId)
	q.Set("Expires", exp)
	q.Set("Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	q.Set("security-token", c.SecurityToken)
	path := (&url.URL{Path: "/" + bucket + "/" + key}).EscapedPath()
	return cfg.url + path + "?" + q.Encode()
}

func doURL(t *testing.T, method, u, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	must(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	data, err := ioutil.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, string(data)
}

// wantXMLError checks a raw answer against the OSS <Error> document.
func wantXMLError(t *testing.T, status int, body string, wantStatus int, code, message string) {
	t.Helper()
	var e oss.ServiceError
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("%d, body is not an OSS error: %s", status, body)
	}
	if status != wantStatus || e.Code != code || (message != "" && e.Message != message) {
		t.Fatalf("expected %d %s %q, got %d %s", wantStatus, code, message, status, body)
	}
}

func TestPresignedURLs(t *testing.T) {
	_, root := newBucket(t, "presign")
	putString(t, root, "shared/photo.txt", "shared content")
	policy := fmt.Sprintf(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject"],"Resource":["acs:oss:*:*:%s/shared/*"]}]}`, root.BucketName)
	const tokenSeconds = 900
	creds := assumeRole(t, "presigner", policy, tokenSeconds)
	bucket := root.BucketName

	t.Run("GET_with_the_STS_token", func(t *testing.T) {
		status, body := doURL(t, "GET", presignV1(creds, "GET", bucket, "shared/photo.txt", time.Now().Add(300*time.Second), ""), "", "")
		if status != 200 || body != "shared content" {
			t.Fatalf("%d %s", status, body)
		}
	})

	t.Run("PUT_with_the_STS_token", func(t *testing.T) {
		u := presignV1(creds, "PUT", bucket, "shared/uploaded.txt", time.Now().Add(300*time.Second), "text/plain")
		status, body := doURL(t, "PUT", u, "text/plain", "put through a URL")
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		if got := getString(t, root, "shared/uploaded.txt"); got != "put through a URL" {
			t.Fatalf("stored %q", got)
		}
		meta, err := root.GetObjectDetailedMeta("shared/uploaded.txt")
		must(t, err)
		if meta.Get("Content-Type") != "text/plain" {
			t.Fatalf("Content-Type %q", meta.Get("Content-Type"))
		}
	})

	t.Run("URL_expiring_after_the_token_works_while_the_token_is_valid", func(t *testing.T) {
		// The URL is good until min(Expires, token expiration): one hour against a 15-minute token.
		u := presignV1(creds, "GET", bucket, "shared/photo.txt", time.Now().Add(3600*time.Second), "")
		status, body := doURL(t, "GET", u, "", "")
		if status != 200 || body != "shared content" {
			t.Fatalf("%d %s", status, body)
		}
	})

	t.Run("expired_URL", func(t *testing.T) {
		status, body := doURL(t, "GET", presignV1(creds, "GET", bucket, "shared/photo.txt", time.Now().Add(-60*time.Second), ""), "", "")
		wantXMLError(t, status, body, 403, "AccessDenied", "Request has expired.")
	})

	t.Run("outside_the_session_policy", func(t *testing.T) {
		putString(t, root, "private.txt", "x")
		status, body := doURL(t, "GET", presignV1(creds, "GET", bucket, "private.txt", time.Now().Add(300*time.Second), ""), "", "")
		wantXMLError(t, status, body, 403, "AccessDenied", authorizerDenied)
	})

	t.Run("tampered_signature", func(t *testing.T) {
		u := presignV1(creds, "GET", bucket, "shared/photo.txt", time.Now().Add(300*time.Second), "")
		status, body := doURL(t, "GET", strings.Replace(u, "shared/photo.txt", "shared/other.txt", 1), "", "")
		wantXMLError(t, status, body, 403, "SignatureDoesNotMatch", "")
	})

	t.Run("SDK_SignURL", func(t *testing.T) {
		t.Skip("Debian's aliyun-oss-go-sdk 1.5.0 has no Bucket.SignURL (added in 1.7); the V1 URLs above are signed by presignV1")
	})
}
