package alunitesdk

import (
	"io/ioutil"
	"os"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// TestCname: oss.UseCname(true) against a custom domain bound to a bucket (test/go-sdk.test.ts binds it, the
// ownership proven by a TXT record on its test DNS server). The domain does not resolve here, so the requests go
// through the server itself as the SDK's HTTP proxy (oss.Proxy): they arrive in absolute form, the Host being the
// domain, and the path is the key (docs/stored-configurations.md#cnames-implemented).
func TestCname(t *testing.T) {
	domain, bucketName := os.Getenv("ALUNITE_CNAME_DOMAIN"), os.Getenv("ALUNITE_CNAME_BUCKET")
	if domain == "" || bucketName == "" {
		t.Skip("ALUNITE_CNAME_DOMAIN and ALUNITE_CNAME_BUCKET are not set (run through test/go-sdk.test.ts)")
	}
	port := cfg.url[strings.LastIndex(cfg.url, ":")+1:]
	client, err := oss.New("http://"+domain+":"+port, cfg.rootAK, cfg.rootSecret, oss.UseCname(true), oss.Proxy(cfg.url), oss.Timeout(30, 120))
	must(t, err)
	bucket, err := client.Bucket(bucketName)
	must(t, err)
	must(t, bucket.PutObject("go/cname.txt", strings.NewReader("through the domain")))
	body, err := bucket.GetObject("go/cname.txt")
	must(t, err)
	data, err := ioutil.ReadAll(body)
	body.Close()
	must(t, err)
	if string(data) != "through the domain" {
		t.Fatalf("GetObject through the domain: %q", data)
	}
	listed, err := bucket.ListObjects(oss.Prefix("go/"))
	must(t, err)
	if len(listed.Objects) != 1 || listed.Objects[0].Key != "go/cname.txt" {
		t.Fatalf("ListObjects through the domain: %+v", listed.Objects)
	}
	// The same object by the bucket's own name: the domain acted on the bucket.
	own, err := rootClient(t).Bucket(bucketName)
	must(t, err)
	exists, err := own.IsObjectExist("go/cname.txt")
	must(t, err)
	if !exists {
		t.Fatal("the object put through the domain is not in the bucket")
	}
	must(t, bucket.DeleteObject("go/cname.txt"))
}
