package alunitesdk

import (
	"bytes"
	"encoding/xml"
	"io/ioutil"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Website configurations as Go's encoding/xml writes them: a document struct that is not a pointer is always
// written, empty (`<IndexDocument><Suffix></Suffix></IndexDocument>`), and a nil *bool is left out. SDK 1.5.0's
// SetBucketWebsite(bucket, index, "") sends such an empty ErrorDocument; the current v1 SDK's
// SetBucketWebsiteDetail sends the empty documents beside RoutingRules, and an empty MirrorHeaders on every rule.
type siteDoc struct {
	XMLName xml.Name `xml:"WebsiteConfiguration"`
	Index   struct {
		Suffix string `xml:"Suffix"`
	} `xml:"IndexDocument"`
	Error struct {
		Key string `xml:"Key"`
	} `xml:"ErrorDocument"`
	Rules []siteRule `xml:"RoutingRules>RoutingRule,omitempty"`
}

type siteRule struct {
	Number    int `xml:"RuleNumber,omitempty"`
	Condition struct {
		HTTPErrorCode int `xml:"HttpErrorCodeReturnedEquals,omitempty"`
	} `xml:"Condition"`
	Redirect struct {
		Type                  string `xml:"RedirectType,omitempty"`
		PassQueryString       *bool  `xml:"PassQueryString"`
		MirrorURL             string `xml:"MirrorURL,omitempty"`
		MirrorPassQueryString *bool  `xml:"MirrorPassQueryString"`
		MirrorFollowRedirect  *bool  `xml:"MirrorFollowRedirect"`
		MirrorCheckMd5        *bool  `xml:"MirrorCheckMd5"`
		MirrorPassSlashes     *bool  `xml:"MirrorPassOriginalSlashes"`
		Headers               struct {
			PassAll *bool    `xml:"PassAll"`
			Pass    []string `xml:"Pass"`
		} `xml:"MirrorHeaders"`
		Protocol string `xml:"Protocol,omitempty"`
		HostName string `xml:"HostName,omitempty"`
	} `xml:"Redirect"`
}

func putSite(client *oss.Client, bucket string, doc siteDoc) error {
	body, err := xml.Marshal(doc)
	if err != nil {
		return err
	}
	resp, err := client.Conn.Do("PUT", bucket, "", "website", "website", map[string]string{"Content-Type": "application/xml"}, bytes.NewReader(body), 0, nil)
	if resp != nil {
		resp.Body.Close()
	}
	return err
}

func getSite(t *testing.T, client *oss.Client, bucket string) siteDoc {
	t.Helper()
	resp, err := client.Conn.Do("GET", bucket, "", "website", "website", nil, nil, 0, nil)
	must(t, err)
	defer resp.Body.Close()
	data, err := ioutil.ReadAll(resp.Body)
	must(t, err)
	var out siteDoc
	must(t, xml.Unmarshal(data, &out))
	return out
}

func TestBucketWebsite(t *testing.T) {
	client, b := newBucket(t, "website")

	t.Run("index_without_error_document", func(t *testing.T) {
		must(t, client.SetBucketWebsite(b.BucketName, "index.html", ""))
		got, err := client.GetBucketWebsite(b.BucketName)
		must(t, err)
		if got.IndexDocument.Suffix != "index.html" || got.ErrorDocument.Key != "" {
			t.Fatalf("after SetBucketWebsite(index.html, \"\"): %+v", got)
		}
	})

	t.Run("mirror_rule_defaults", func(t *testing.T) {
		var rule siteRule
		rule.Number = 1
		rule.Condition.HTTPErrorCode = 404
		rule.Redirect.Type = "Mirror"
		rule.Redirect.MirrorURL = "http://www.test.com/"
		rule.Redirect.Headers.Pass = []string{"myheader-key1", "myheader-key2"}
		var cdn siteRule
		cdn.Number = 2
		cdn.Condition.HTTPErrorCode = 404
		cdn.Redirect.Type = "AliCDN"
		cdn.Redirect.Protocol = "http"
		cdn.Redirect.HostName = "www.test.com"
		must(t, putSite(client, b.BucketName, siteDoc{Rules: []siteRule{rule, cdn}}))

		got := getSite(t, client, b.BucketName)
		if got.Index.Suffix != "" || got.Error.Key != "" || len(got.Rules) != 2 {
			t.Fatalf("GetBucketWebsite: %+v", got)
		}
		r := got.Rules[0].Redirect
		for name, c := range map[string]struct {
			got  *bool
			want bool
		}{
			"PassQueryString": {r.PassQueryString, false}, "MirrorPassQueryString": {r.MirrorPassQueryString, false},
			"MirrorFollowRedirect": {r.MirrorFollowRedirect, true}, "MirrorCheckMd5": {r.MirrorCheckMd5, false},
			"MirrorPassOriginalSlashes": {r.MirrorPassSlashes, false}, "MirrorHeaders/PassAll": {r.Headers.PassAll, false},
		} {
			if c.got == nil || *c.got != c.want {
				t.Errorf("%s: got %v, want %v", name, c.got, c.want)
			}
		}
		if len(r.Headers.Pass) != 2 {
			t.Errorf("MirrorHeaders/Pass: %v", r.Headers.Pass)
		}
		if cdn := got.Rules[1].Redirect; cdn.Type != "AliCDN" || cdn.MirrorFollowRedirect != nil || cdn.Headers.PassAll != nil {
			t.Errorf("the AliCDN rule: %+v", cdn)
		}
	})

	t.Run("mirror_rule_without_url_refused", func(t *testing.T) {
		var rule siteRule
		rule.Number = 1
		rule.Redirect.Type = "Mirror"
		yes := true
		rule.Redirect.PassQueryString = &yes
		wantServiceError(t, putSite(client, b.BucketName, siteDoc{Rules: []siteRule{rule}}), 400, "InvalidArgument", "")
	})
}
