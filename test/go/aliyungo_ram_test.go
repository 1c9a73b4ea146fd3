package alunitesdk

// aliyungo's RAM client (github.com/denverdino/aliyungo/ram, POP RPC at the server URL) through the flow of
// aliyungo's own ram/*_test.go, which is written against the real cloud. Where those tests assume an account
// that already has what they need (a role and a group to attach to, an MFA device's codes, a password that
// meets the default policy, a policy name with `_`), this test creates it or uses a valid value, and checks
// the answer the unchanged tests get instead (docs/go-sdk-tests.md, "aliyungo's own test suites").

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/denverdino/aliyungo/ram"
)

// totp is the RFC 6238 code (HMAC-SHA1, 6 digits, 30 s steps) of a virtual MFA device's
// Base32StringSeed for the time step `step` (Unix time / 30).
func totp(t *testing.T, seed string, step int64) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(seed)
	must(t, err)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1000000)
}

func popMust(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestAliyungoRAM(t *testing.T) {
	client := ram.NewClientWithEndpoint(cfg.url, cfg.rootAK, cfg.rootSecret)
	suffix := fmt.Sprintf("%06d", bucketSeq.Intn(1000000))
	userName := "aliyungo-user-" + suffix
	newUserName := "aliyungo-renamed-" + suffix

	t.Run("users", func(t *testing.T) {
		created, err := client.CreateUser(ram.UserRequest{User: ram.User{UserName: userName, DisplayName: "unit_test_account", MobilePhone: "13500000000", Email: "no-reply@alibaba-inc.com", Comments: "no any comments"}})
		popMust(t, "CreateUser", err)
		if created.User.UserName != userName || created.User.UserId == "" || created.User.CreateDate == "" || created.User.Email != "no-reply@alibaba-inc.com" {
			t.Fatalf("CreateUser answered %+v", created.User)
		}
		got, err := client.GetUser(ram.UserQueryRequest{UserName: userName})
		popMust(t, "GetUser", err)
		if got.User.UserId != created.User.UserId {
			t.Fatalf("GetUser answered %+v", got.User)
		}
		updated, err := client.UpdateUser(ram.UpdateUserRequest{UserName: userName, NewUserName: newUserName, NewDisplayName: "unit_test_account_new"})
		popMust(t, "UpdateUser", err)
		if updated.User.UserName != newUserName || updated.User.DisplayName != "unit_test_account_new" || updated.User.UserId != created.User.UserId {
			t.Fatalf("UpdateUser answered %+v", updated.User)
		}
		list, err := client.ListUsers(ram.ListUserRequest{})
		popMust(t, "ListUsers", err)
		found := false
		for _, u := range list.Users.User {
			found = found || u.UserName == newUserName
		}
		if !found {
			t.Fatalf("ListUsers does not list %s: %+v", newUserName, list.Users.User)
		}
	})

	t.Run("access_keys", func(t *testing.T) {
		key, err := client.CreateAccessKey(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "CreateAccessKey", err)
		if key.AccessKey.AccessKeyId == "" || key.AccessKey.AccessKeySecret == "" || key.AccessKey.Status != ram.Active {
			t.Fatalf("CreateAccessKey answered %+v", key.AccessKey)
		}
		_, err = client.UpdateAccessKey(ram.UpdateAccessKeyRequest{UserAccessKeyId: key.AccessKey.AccessKeyId, UserName: newUserName, Status: ram.Inactive})
		popMust(t, "UpdateAccessKey", err)
		keys, err := client.ListAccessKeys(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "ListAccessKeys", err)
		if len(keys.AccessKeys.AccessKey) != 1 || keys.AccessKeys.AccessKey[0].Status != ram.Inactive || keys.AccessKeys.AccessKey[0].AccessKeySecret != "" {
			t.Fatalf("ListAccessKeys answered %+v", keys.AccessKeys.AccessKey)
		}
		_, err = client.DeleteAccessKey(ram.UpdateAccessKeyRequest{UserAccessKeyId: key.AccessKey.AccessKeyId, UserName: newUserName})
		popMust(t, "DeleteAccessKey", err)
	})

	groupName := "aliyungo-group-" + suffix
	newGroupName := "aliyungo-group2-" + suffix
	t.Run("groups", func(t *testing.T) {
		_, err := client.CreateGroup(ram.GroupRequest{Group: ram.Group{GroupName: groupName, Comments: "no any comments"}})
		popMust(t, "CreateGroup", err)
		g, err := client.GetGroup(ram.GroupQueryRequest{GroupName: groupName})
		popMust(t, "GetGroup", err)
		if g.Group.GroupName != groupName || g.Group.Comments != "no any comments" {
			t.Fatalf("GetGroup answered %+v", g.Group)
		}
		u, err := client.UpdateGroup(ram.GroupUpdateRequest{GroupName: groupName, NewGroupName: newGroupName, NewComments: "no any comments new"})
		popMust(t, "UpdateGroup", err)
		if u.Group.GroupName != newGroupName || u.Group.Comments != "no any comments new" {
			t.Fatalf("UpdateGroup answered %+v", u.Group)
		}
		_, err = client.AddUserToGroup(ram.UserRelateGroupRequest{UserName: newUserName, GroupName: newGroupName})
		popMust(t, "AddUserToGroup", err)
		forUser, err := client.ListGroupsForUser(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "ListGroupsForUser", err)
		members, err := client.ListUsersForGroup(ram.GroupQueryRequest{GroupName: newGroupName})
		popMust(t, "ListUsersForGroup", err)
		if len(forUser.Groups.Group) != 1 || forUser.Groups.Group[0].GroupName != newGroupName || len(members.Users.User) != 1 || members.Users.User[0].UserName != newUserName {
			t.Fatalf("ListGroupsForUser %+v, ListUsersForGroup %+v", forUser.Groups, members.Users)
		}
		_, err = client.RemoveUserFromGroup(ram.UserRelateGroupRequest{UserName: newUserName, GroupName: newGroupName})
		popMust(t, "RemoveUserFromGroup", err)
	})

	t.Run("virtual_mfa", func(t *testing.T) {
		device, err := client.CreateVirtualMFADevice(ram.MFARequest{VirtualMFADeviceName: "aliyungo-mfa-" + suffix})
		popMust(t, "CreateVirtualMFADevice", err)
		serial, seed := device.VirtualMFADevice.SerialNumber, device.VirtualMFADevice.Base32StringSeed
		if serial != fmt.Sprintf("acs:ram::%s:mfa/aliyungo-mfa-%s", accountID(t), suffix) || seed == "" || device.VirtualMFADevice.QRCodePNG == "" {
			t.Fatalf("CreateVirtualMFADevice answered %+v", device.VirtualMFADevice)
		}
		// aliyungo's test binds with "Hello"/"World" ("depends on your device"); two consecutive codes bind.
		_, err = client.BindMFADevice(ram.MFABindRequest{SerialNumber: serial, UserName: newUserName, AuthenticationCode1: "Hello", AuthenticationCode2: "World"})
		wantPopError(t, err, 400, "InvalidParameter.AuthenticationCode", "")
		now := time.Now().Unix() / 30
		_, err = client.BindMFADevice(ram.MFABindRequest{SerialNumber: serial, UserName: newUserName, AuthenticationCode1: totp(t, seed, now-1), AuthenticationCode2: totp(t, seed, now)})
		popMust(t, "BindMFADevice", err)
		info, err := client.GetUserMFAInfo(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "GetUserMFAInfo", err)
		devices, err := client.ListVirtualMFADevices()
		popMust(t, "ListVirtualMFADevices", err)
		bound := false
		for _, d := range devices.VirtualMFADevices.VirtualMFADevice {
			bound = bound || (d.SerialNumber == serial && d.User.UserName == newUserName && d.ActivateDate != "")
		}
		if info.MFADevice.SerialNumber != serial || !bound {
			t.Fatalf("GetUserMFAInfo %+v, ListVirtualMFADevices %+v", info.MFADevice, devices.VirtualMFADevices)
		}
		unbound, err := client.UnbindMFADevice(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "UnbindMFADevice", err)
		if unbound.MFADevice.SerialNumber != serial {
			t.Fatalf("UnbindMFADevice answered %+v", unbound.MFADevice)
		}
		_, err = client.GetUserMFAInfo(ram.UserQueryRequest{UserName: newUserName})
		wantPopError(t, err, 404, "EntityNotExist.User.MFADevice", "")
		_, err = client.DeleteVirtualMFADevice(ram.MFADeleteRequest{MFADevice: ram.MFADevice{SerialNumber: serial}})
		popMust(t, "DeleteVirtualMFADevice", err)
	})

	roleName := "aliyungo-role-" + suffix
	trust := func(effect string) string {
		doc, err := json.Marshal(ram.AssumeRolePolicyDocument{Version: "1", Statement: []ram.AssumeRolePolicyItem{{Action: "sts:AssumeRole", Effect: effect, Principal: ram.AssumeRolePolicyPrincpal{RAM: []string{"acs:ram::" + accountID(t) + ":root"}}}}})
		must(t, err)
		return string(doc)
	}
	t.Run("roles", func(t *testing.T) {
		created, err := client.CreateRole(ram.RoleRequest{RoleName: roleName, AssumeRolePolicyDocument: trust("Allow"), Description: "this is a role for unit test purpose"})
		popMust(t, "CreateRole", err)
		if created.Role.Arn != "acs:ram::"+accountID(t)+":role/"+roleName || created.Role.RoleId == "" || created.Role.AssumeRolePolicyDocument == "" {
			t.Fatalf("CreateRole answered %+v", created.Role)
		}
		got, err := client.GetRole(ram.RoleQueryRequest{RoleName: roleName})
		popMust(t, "GetRole", err)
		if got.Role.RoleId != created.Role.RoleId {
			t.Fatalf("GetRole answered %+v", got.Role)
		}
		updated, err := client.UpdateRole(ram.UpdateRoleRequest{RoleName: roleName, NewAssumeRolePolicyDocument: trust("Deny")})
		popMust(t, "UpdateRole", err)
		if updated.Role.AssumeRolePolicyDocument != trust("Deny") {
			t.Fatalf("UpdateRole answered %+v", updated.Role)
		}
		list, err := client.ListRoles()
		popMust(t, "ListRoles", err)
		found := false
		for _, r := range list.Roles.Role {
			found = found || r.RoleName == roleName
		}
		if !found {
			t.Fatalf("ListRoles does not list %s", roleName)
		}
	})

	t.Run("policies", func(t *testing.T) {
		doc, err := json.Marshal(ram.PolicyDocument{Version: "1", Statement: []ram.PolicyItem{{Action: "*", Effect: "Allow", Resource: "*"}}})
		must(t, err)
		// aliyungo's test names its policy "unit_tesst_policy": `_` is not allowed (letters, digits, `-`).
		_, err = client.CreatePolicy(ram.PolicyRequest{PolicyName: "unit_tesst_policy", PolicyDocument: string(doc), Description: "nothing"})
		wantPopError(t, err, 400, "InvalidParameter.PolicyName.InvalidChars", "")
		name := "aliyungo-policy-" + suffix
		created, err := client.CreatePolicy(ram.PolicyRequest{PolicyName: name, PolicyDocument: string(doc), Description: "nothing"})
		popMust(t, "CreatePolicy", err)
		if p := created.Policy; p.PolicyName != name || p.PolicyType != "Custom" || p.DefaultVersion != "v1" || p.Description != "nothing" {
			t.Fatalf("CreatePolicy answered %+v", p)
		}
		got, err := client.GetPolicy(ram.PolicyRequest{PolicyName: name, PolicyType: "Custom"})
		popMust(t, "GetPolicy", err)
		if got.Policy.PolicyName != name {
			t.Fatalf("GetPolicy answered %+v", got.Policy)
		}
		custom := ram.PolicyRequest{PolicyType: "Custom", PolicyName: name}
		_, err = client.AttachPolicyToUser(ram.AttachPolicyRequest{PolicyRequest: custom, UserName: newUserName})
		popMust(t, "AttachPolicyToUser", err)
		_, err = client.AttachPolicyToRole(ram.AttachPolicyToRoleRequest{PolicyRequest: custom, RoleName: roleName})
		popMust(t, "AttachPolicyToRole", err)
		_, err = client.AttachPolicyToGroup(ram.AttachPolicyToGroupRequest{PolicyRequest: custom, GroupName: newGroupName})
		popMust(t, "AttachPolicyToGroup", err)
		forUser, err := client.ListPoliciesForUser(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "ListPoliciesForUser", err)
		forRole, err := client.ListPoliciesForRole(ram.RoleQueryRequest{RoleName: roleName})
		popMust(t, "ListPoliciesForRole", err)
		forGroup, err := client.ListPoliciesForGroup(ram.GroupQueryRequest{GroupName: newGroupName})
		popMust(t, "ListPoliciesForGroup", err)
		for what, ps := range map[string][]ram.Policy{"user": forUser.Policies.Policy, "role": forRole.Policies.Policy, "group": forGroup.Policies.Policy} {
			if len(ps) != 1 || ps[0].PolicyName != name || ps[0].PolicyType != "Custom" {
				t.Fatalf("ListPoliciesFor %s answered %+v", what, ps)
			}
		}
		// Attached: the policy cannot be deleted.
		_, err = client.DeletePolicy(ram.PolicyRequest{PolicyName: name})
		wantPopError(t, err, 409, "DeleteConflict.Policy.User", "")
		_, err = client.DetachPolicyFromUser(ram.AttachPolicyRequest{PolicyRequest: custom, UserName: newUserName})
		popMust(t, "DetachPolicyFromUser", err)
		_, err = client.DetachPolicyFromRole(ram.AttachPolicyToRoleRequest{PolicyRequest: custom, RoleName: roleName})
		popMust(t, "DetachPolicyFromRole", err)
		_, err = client.DetachPolicyFromGroup(ram.AttachPolicyToGroupRequest{PolicyRequest: custom, GroupName: newGroupName})
		popMust(t, "DetachPolicyFromGroup", err)
		_, err = client.DeletePolicy(ram.PolicyRequest{PolicyName: name})
		popMust(t, "DeletePolicy", err)
	})

	t.Run("login_profile", func(t *testing.T) {
		// aliyungo's test password "hello&world" has no upper-case letter nor digit: the default password
		// policy (8 characters, lower case, upper case and digits) refuses it.
		_, err := client.CreateLoginProfile(ram.ProfileRequest{UserName: newUserName, Password: "hello&world"})
		wantPopError(t, err, 400, "InvalidParameter.Password", "")
		created, err := client.CreateLoginProfile(ram.ProfileRequest{UserName: newUserName, Password: "Hello&World12"})
		popMust(t, "CreateLoginProfile", err)
		if created.LoginProfile.UserName != newUserName {
			t.Fatalf("CreateLoginProfile answered %+v", created.LoginProfile)
		}
		got, err := client.GetLoginProfile(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "GetLoginProfile", err)
		if got.LoginProfile.UserName != newUserName {
			t.Fatalf("GetLoginProfile answered %+v", got.LoginProfile)
		}
		_, err = client.UpdateLoginProfile(ram.ProfileRequest{UserName: newUserName, Password: "Hello&World12&New"})
		popMust(t, "UpdateLoginProfile", err)
		_, err = client.DeleteLoginProfile(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "DeleteLoginProfile", err)
		_, err = client.GetLoginProfile(ram.UserQueryRequest{UserName: newUserName})
		wantPopError(t, err, 404, "EntityNotExist.User.LoginProfile", "")
	})

	t.Run("account_alias", func(t *testing.T) {
		_, err := client.SetAccountAlias(ram.AccountAliasRequest{AccountAlias: "hello"})
		popMust(t, "SetAccountAlias", err)
		got, err := client.GetAccountAlias()
		popMust(t, "GetAccountAlias", err)
		if got.AccountAlias != "hello" {
			t.Fatalf("GetAccountAlias answered %+v", got)
		}
		_, err = client.ClearAccountAlias()
		popMust(t, "ClearAccountAlias", err)
	})

	// SetPasswordPolicy/GetPasswordPolicy: aliyungo declares the answer's fields flat (PasswordPolicyResponse
	// embeds PasswordPolicy) while the API nests them in "PasswordPolicy", so it decodes zeros here and in the
	// cloud alike; only the calls are checked. The policy is set back to the defaults afterwards.
	t.Run("password_policy", func(t *testing.T) {
		_, err := client.SetPasswordPolicy(ram.PasswordPolicyRequest{PasswordPolicy: ram.PasswordPolicy{MinimumPasswordLength: 10, RequireLowercaseCharacters: true, RequireUppercaseCharacters: true, RequireNumbers: true, RequireSymbols: true}})
		popMust(t, "SetPasswordPolicy", err)
		_, err = client.GetPasswordPolicy()
		popMust(t, "GetPasswordPolicy", err)
		_, err = client.SetPasswordPolicy(ram.PasswordPolicyRequest{PasswordPolicy: ram.PasswordPolicy{MinimumPasswordLength: 8, RequireLowercaseCharacters: true, RequireUppercaseCharacters: true, RequireNumbers: true}})
		popMust(t, "SetPasswordPolicy (defaults)", err)
	})

	t.Run("cleanup", func(t *testing.T) {
		_, err := client.DeleteRole(ram.RoleQueryRequest{RoleName: roleName})
		popMust(t, "DeleteRole", err)
		_, err = client.DeleteGroup(ram.GroupQueryRequest{GroupName: newGroupName})
		popMust(t, "DeleteGroup", err)
		_, err = client.DeleteUser(ram.UserQueryRequest{UserName: newUserName})
		popMust(t, "DeleteUser", err)
		// aliyungo's GetUser drops the error (`return UserResponse{}, nil`, ram/account.go): the server's
		// 404 EntityNotExist.User shows as an empty answer.
		gone, err := client.GetUser(ram.UserQueryRequest{UserName: newUserName})
		if err != nil || gone.User.UserId != "" || gone.RequestId != "" {
			t.Fatalf("GetUser of the deleted user answered %+v, %v", gone, err)
		}
	})
}

// accountID is the account of the role the wrapper created (acs:ram::<account>:role/...).
func accountID(t *testing.T) string {
	t.Helper()
	var id string
	if _, err := fmt.Sscanf(cfg.roleArn, "acs:ram::%16s", &id); err != nil || len(id) != 16 {
		t.Fatalf("cannot read the account id from %q", cfg.roleArn)
	}
	return id
}
