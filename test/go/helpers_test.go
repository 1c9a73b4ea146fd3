// Shared setup for the Go SDK tests: the server, keys and role come from test/go-sdk.test.ts through the
// environment (ALUNITE_*); every test creates its own bucket. Built offline against Debian's packages
// (golang-github-aliyun-aliyun-oss-go-sdk-dev 1.5.0, golang-github-denverdino-aliyungo-dev) in GOPATH mode.
package alunitesdk

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/ioutil"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/denverdino/aliyungo/common"
	"github.com/denverdino/aliyungo/sts"
)

// env is what the Node wrapper passes in.
type env struct {
	url        string // http://127.0.0.1:<port>: path-style for the SDK (IP endpoint)
	rootAK     string
	rootSecret string
	userAK     string // RAM user allowed to assume roleArn
	userSecret string
	roleArn    string // role whose policy allows oss:* in every bucket
	fixtures   string // test/fixtures
}

var cfg env

const authorizerDenied = "Access denied by authorizer's policy."

func TestMain(m *testing.M) {
	cfg = env{
		url:        os.Getenv("ALUNITE_URL"),
		rootAK:     os.Getenv("ALUNITE_ROOT_AK"),
		rootSecret: os.Getenv("ALUNITE_ROOT_SECRET"),
		userAK:     os.Getenv("ALUNITE_USER_AK"),
		userSecret: os.Getenv("ALUNITE_USER_SECRET"),
		roleArn:    os.Getenv("ALUNITE_ROLE_ARN"),
		fixtures:   os.Getenv("ALUNITE_FIXTURES"),
	}
	if cfg.url == "" || cfg.rootAK == "" || cfg.userAK == "" || cfg.roleArn == "" {
		fmt.Fprintln(os.Stderr, "ALUNITE_URL, ALUNITE_ROOT_AK/SECRET, ALUNITE_USER_AK/SECRET and ALUNITE_ROLE_ARN must be set (run through test/go-sdk.test.ts)")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// rootClient is the account's own client (V1 header signing, the only one SDK 1.5.0 has).
func rootClient(t *testing.T) *oss.Client {
	t.Helper()
	c, err := oss.New(cfg.url, cfg.rootAK, cfg.rootSecret, oss.Timeout(30, 120))
	must(t, err)
	return c
}

var bucketSeq = rand.New(rand.NewSource(time.Now().UnixNano()))

// newBucket creates a fresh bucket with the root client and returns its handle.
func newBucket(t *testing.T, prefix string) (*oss.Client, *oss.Bucket) {
	t.Helper()
	c := rootClient(t)
	name := fmt.Sprintf("go-%s-%06d", prefix, bucketSeq.Intn(1000000))
	must(t, c.CreateBucket(name))
	b, err := c.Bucket(name)
	must(t, err)
	return c, b
}

// assumeRole calls STS AssumeRole through aliyungo's sts client at the server URL (POP RPC).
func assumeRole(t *testing.T, session, policy string, seconds int) sts.AssumedRoleUserCredentials {
	t.Helper()
	client := sts.NewClientWithEndpoint(cfg.url, cfg.userAK, cfg.userSecret)
	resp, err := client.AssumeRole(sts.AssumeRoleRequest{RoleArn: cfg.roleArn, RoleSessionName: session, DurationSeconds: seconds, Policy: policy})
	if err != nil {
		var apiErr *common.Error
		if errors.As(err, &apiErr) {
			t.Fatalf("AssumeRole: %d %s %s", apiErr.StatusCode, apiErr.Code, apiErr.Message)
		}
		t.Fatalf("AssumeRole: %v", err)
	}
	c := resp.Credentials
	if !strings.HasPrefix(c.AccessKeyId, "STS.") || c.AccessKeySecret == "" || c.SecurityToken == "" {
		t.Fatalf("AssumeRole returned unusable credentials: %+v", c)
	}
	exp, err := time.Parse("2006-01-02T15:04:05Z", c.Expiration)
	must(t, err)
	if d := time.Until(exp); d < time.Duration(seconds-60)*time.Second || d > time.Duration(seconds+60)*time.Second {
		t.Fatalf("Expiration %s is not now + %ds", c.Expiration, seconds)
	}
	return c
}

// stsBucket is a handle on bucket signed with STS credentials (x-oss-security-token).
func stsBucket(t *testing.T, c sts.AssumedRoleUserCredentials, bucket string) *oss.Bucket {
	t.Helper()
	client, err := oss.New(cfg.url, c.AccessKeyId, c.AccessKeySecret, oss.SecurityToken(c.SecurityToken), oss.Timeout(30, 120))
	must(t, err)
	b, err := client.Bucket(bucket)
	must(t, err)
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(describe(err))
	}
}

func describe(err error) string {
	var se oss.ServiceError
	if errors.As(err, &se) {
		if se.Code == "SignatureDoesNotMatch" {
			return fmt.Sprintf("%d %s: %s", se.StatusCode, se.Code, se.RawMessage) // with the server's StringToSign
		}
		return fmt.Sprintf("%d %s: %s", se.StatusCode, se.Code, se.Message)
	}
	return err.Error()
}

// wantServiceError asserts err is the OSS error (status, code and, when non-empty, message).
func wantServiceError(t *testing.T, err error, status int, code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %d %s, the call succeeded", status, code)
	}
	var se oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("expected %d %s, got %v", status, code, err)
	}
	if se.StatusCode != status || se.Code != code || (message != "" && se.Message != message) {
		t.Fatalf("expected %d %s %q, got %s", status, code, message, describe(err))
	}
}

func getString(t *testing.T, b *oss.Bucket, key string, options ...oss.Option) string {
	t.Helper()
	body, err := b.GetObject(key, options...)
	must(t, err)
	defer body.Close()
	data, err := ioutil.ReadAll(body)
	must(t, err)
	return string(data)
}

func putString(t *testing.T, b *oss.Bucket, key, content string, options ...oss.Option) {
	t.Helper()
	must(t, b.PutObject(key, strings.NewReader(content), options...))
}

func exists(t *testing.T, b *oss.Bucket, key string) bool {
	t.Helper()
	ok, err := b.IsObjectExist(key)
	must(t, err)
	return ok
}

// deterministic returns n pseudo-random bytes that are the same on every run.
func deterministic(n int, seed int64) []byte {
	out := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(out)
	return out
}

// ossMultipartETag is OSS's multipart ETag: upper-case hex MD5 of the parts' upper-case hex MD5 *text*
// concatenated (not S3's MD5 of the binary digests), then "-<parts>", quoted.
func ossMultipartETag(data []byte, partSize int) string {
	var text bytes.Buffer
	parts := 0
	for off := 0; off < len(data); off += partSize {
		end := off + partSize
		if end > len(data) {
			end = len(data)
		}
		sum := md5.Sum(data[off:end])
		text.WriteString(strings.ToUpper(hex.EncodeToString(sum[:])))
		parts++
	}
	sum := md5.Sum(text.Bytes())
	return fmt.Sprintf("\"%s-%d\"", strings.ToUpper(hex.EncodeToString(sum[:])), parts)
}

func md5ETag(data []byte) string {
	sum := md5.Sum(data)
	return "\"" + strings.ToUpper(hex.EncodeToString(sum[:])) + "\""
}
