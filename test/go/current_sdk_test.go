package alunitesdk

import (
	"encoding/xml"
	"errors"
	"io"
	"io/ioutil"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Requests of the current Go SDK V1 (upstream oss/client_test.go TestBucketRefererV2, TestBucketTransferAcc,
// TestBucketResourceGroup) that 1.5.0 has no method for: sent through 1.5.0's Conn.Do with the method,
// sub-resource and body the current SDK sends, and decoded as the current SDK decodes them (pointer fields:
// an element the answer leaves out stays nil, one it sends, even empty, does not).

// refererV2 is shaped like the current SDK's GetBucketRefererResult.
type refererV2 struct {
	XMLName                  xml.Name `xml:"RefererConfiguration"`
	AllowEmptyReferer        bool     `xml:"AllowEmptyReferer"`
	AllowTruncateQueryString *bool    `xml:"AllowTruncateQueryString"`
	RefererList              []string `xml:"RefererList>Referer"`
	RefererBlacklist         *struct {
		Referer []string `xml:"Referer"`
	} `xml:"RefererBlacklist"`
}

type transferAcc struct {
	XMLName xml.Name `xml:"TransferAccelerationConfiguration"`
	Enabled bool     `xml:"Enabled"`
}

type resourceGroup struct {
	XMLName         xml.Name `xml:"BucketResourceGroupConfiguration"`
	ResourceGroupId string   `xml:"ResourceGroupId"`
}

// send is one bucket request with a sub-resource (signed with it, as the SDK signs it); the body is read whole.
func send(c *oss.Client, method, bucket, sub, body string) (int, []byte, error) {
	var data io.Reader
	headers := map[string]string{}
	if body != "" {
		data = strings.NewReader(body)
		headers[oss.HTTPHeaderContentType] = "application/xml"
	}
	resp, err := c.Conn.Do(method, bucket, "", sub, sub, headers, data, 0, nil)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := ioutil.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func sendDecode(t *testing.T, c *oss.Client, bucket, sub string, v interface{}) {
	t.Helper()
	_, body, err := send(c, "GET", bucket, sub, "")
	must(t, err)
	must(t, xml.Unmarshal(body, v))
}

func errorCode(err error) string {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

func TestCurrentSdkBucketRefererV2(t *testing.T) {
	client, b := newBucket(t, "refv2")
	var got refererV2
	sendDecode(t, client, b.BucketName, "referer", &got)
	if !got.AllowEmptyReferer || len(got.RefererList) != 0 || got.AllowTruncateQueryString == nil || !*got.AllowTruncateQueryString || got.RefererBlacklist != nil {
		t.Fatalf("a new bucket: AllowEmptyReferer true, no Referer, AllowTruncateQueryString true, no RefererBlacklist expected: %+v", got)
	}

	_, _, err := send(client, "PUT", b.BucketName, "referer", `<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer><RefererList><Referer>http://www.aliyun.com</Referer><Referer>https://www.aliyun.com</Referer></RefererList></RefererConfiguration>`)
	must(t, err)
	got = refererV2{}
	sendDecode(t, client, b.BucketName, "referer", &got)
	if got.AllowEmptyReferer || len(got.RefererList) != 2 || got.RefererList[1] != "https://www.aliyun.com" {
		t.Fatalf("after the whitelist: %+v", got)
	}
	// The element was left out: OSS's default, true.
	if got.AllowTruncateQueryString == nil || !*got.AllowTruncateQueryString {
		t.Fatalf("AllowTruncateQueryString left out of the Put: true expected, got %+v", got.AllowTruncateQueryString)
	}

	// The SDK's reset: an empty RefererList.
	_, _, err = send(client, "PUT", b.BucketName, "referer", `<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList></RefererList></RefererConfiguration>`)
	must(t, err)
	got = refererV2{}
	sendDecode(t, client, b.BucketName, "referer", &got)
	if !got.AllowEmptyReferer || len(got.RefererList) != 0 {
		t.Fatalf("after the reset: %+v", got)
	}

	black := []string{"http://www.refuse.com", "https://*.hack.com", "http://ban.*.com", "https://www.?.deny.com"}
	_, _, err = send(client, "PUT", b.BucketName, "referer", `<RefererConfiguration><AllowEmptyReferer>false</AllowEmptyReferer><AllowTruncateQueryString>true</AllowTruncateQueryString>`+
		`<RefererList><Referer>http://www.aliyun.com</Referer><Referer>https://www.aliyun.com</Referer></RefererList>`+
		`<RefererBlacklist><Referer>`+strings.Join(black, `</Referer><Referer>`)+`</Referer></RefererBlacklist></RefererConfiguration>`)
	must(t, err)
	got = refererV2{}
	sendDecode(t, client, b.BucketName, "referer", &got)
	if got.AllowEmptyReferer || len(got.RefererList) != 2 || got.AllowTruncateQueryString == nil || !*got.AllowTruncateQueryString ||
		got.RefererBlacklist == nil || len(got.RefererBlacklist.Referer) != 4 || got.RefererBlacklist.Referer[0] != black[0] || got.RefererBlacklist.Referer[3] != black[3] {
		t.Fatalf("with a blacklist: %+v", got)
	}
}

func TestCurrentSdkBucketTransferAcc(t *testing.T) {
	client, b := newBucket(t, "acc")
	for _, on := range []string{"true", "false"} {
		_, _, err := send(client, "PUT", b.BucketName, "transferAcceleration", `<TransferAccelerationConfiguration><Enabled>`+on+`</Enabled></TransferAccelerationConfiguration>`)
		must(t, err)
		var got transferAcc
		sendDecode(t, client, b.BucketName, "transferAcceleration", &got)
		if (on == "true") != got.Enabled {
			t.Fatalf("after Enabled %s: %+v", on, got)
		}
	}
	// DeleteBucketTransferAcc: DELETE ?transferAcceleration, 204.
	status, _, err := send(client, "DELETE", b.BucketName, "transferAcceleration", "")
	must(t, err)
	if status != 204 {
		t.Fatalf("DeleteBucketTransferAcc: 204 expected, got %d", status)
	}
	_, _, err = send(client, "GET", b.BucketName, "transferAcceleration", "")
	if code := errorCode(err); code != "NoSuchTransferAccelerationConfiguration" {
		t.Fatalf("GetBucketTransferAcc after the delete: NoSuchTransferAccelerationConfiguration expected, got %v", err)
	}
}

func TestCurrentSdkBucketResourceGroup(t *testing.T) {
	client, b1 := newBucket(t, "rg1")
	_, b2 := newBucket(t, "rg2")
	put := func(bucket, id string) error {
		_, _, err := send(client, "PUT", bucket, "resourceGroup", `<BucketResourceGroupConfiguration><ResourceGroupId>`+id+`</ResourceGroupId></BucketResourceGroupConfiguration>`)
		return err
	}
	get := func(bucket string) string {
		var got resourceGroup
		sendDecode(t, client, bucket, "resourceGroup", &got)
		return got.ResourceGroupId
	}
	id := get(b1.BucketName)
	if id == "" {
		t.Fatal("a new bucket's resource group: the default group's ID expected")
	}
	must(t, put(b2.BucketName, id))
	if got := get(b2.BucketName); got != id {
		t.Fatalf("after putting %q: %q", id, got)
	}
	// An empty ResourceGroupId (PutBucketResourceGroup{ResourceGroupId: ""}): the default group.
	must(t, put(b1.BucketName, ""))
	if got := get(b1.BucketName); got != id {
		t.Fatalf("after an empty ResourceGroupId: %q expected, got %q", id, got)
	}
	for _, bucket := range []string{b1.BucketName, b2.BucketName} {
		if err := put(bucket, "no-exist-id"); errorCode(err) != "ResourceGroupIdPreCheckError" {
			t.Fatalf("no-exist-id: ResourceGroupIdPreCheckError expected, got %v", err)
		}
	}
}
