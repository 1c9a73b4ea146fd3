import { newNumericId } from './ids.js';
import type { RamGroup, RamUser } from './model.js';
import { checkField } from './names.js';
import { MAX_GROUP_ITEMS, paged, type Page, type Paging } from './paging.js';
import type { RamCaller } from './service-base.js';
import { RamUserService } from './service-users.js';

/** RAM groups and their members. */
export abstract class RamGroupService extends RamUserService {
  async createGroup(caller: RamCaller, input: { groupName: string; comments?: string }): Promise<RamGroup> {
    checkField('GroupName', input.groupName);
    if (input.comments !== undefined) checkField('Comments', input.comments);
    await this.authorize(caller, 'CreateGroup', { groupName: input.groupName });
    const now = this.clock();
    const group: RamGroup = { groupId: newNumericId(16), groupName: input.groupName, comments: input.comments ?? '', createDate: now, updateDate: now };
    await this.store.createGroup(group, this.limits.groups);
    return group;
  }

  async getGroup(caller: RamCaller, groupName: string): Promise<RamGroup> {
    checkField('GroupName', groupName);
    await this.authorize(caller, 'GetGroup', { groupName });
    return this.mustGroup(groupName);
  }

  async updateGroup(caller: RamCaller, input: { groupName: string; newGroupName?: string; newComments?: string }): Promise<RamGroup> {
    checkField('GroupName', input.groupName);
    if (input.newGroupName !== undefined) checkField('GroupName', input.newGroupName);
    await this.authorize(caller, 'UpdateGroup', { groupName: input.groupName, ...(input.newGroupName !== undefined ? { newGroupName: input.newGroupName } : {}) });
    return this.store.updateGroup(
      input.groupName,
      {
        ...(input.newGroupName !== undefined ? { groupName: checkField('GroupName', input.newGroupName) } : {}),
        ...(input.newComments !== undefined ? { comments: checkField('Comments', input.newComments) } : {}),
      },
      this.clock(),
    );
  }

  async listGroups(caller: RamCaller, paging: Paging): Promise<Page<RamGroup>> {
    await this.authorize(caller, 'ListGroups', {});
    return paged(paging, (g) => g.groupName, (p) => this.store.listGroups(p), MAX_GROUP_ITEMS);
  }

  async deleteGroup(caller: RamCaller, groupName: string): Promise<void> {
    checkField('GroupName', groupName);
    await this.authorize(caller, 'DeleteGroup', { groupName });
    await this.store.deleteGroup(groupName);
  }

  async addUserToGroup(caller: RamCaller, input: { groupName: string; userName: string }): Promise<void> {
    checkField('GroupName', input.groupName);
    checkField('UserName', input.userName);
    await this.authorize(caller, 'AddUserToGroup', { groupName: input.groupName, userName: input.userName });
    await this.store.addUserToGroup(input.groupName, input.userName, this.clock(), this.limits.groupsPerUser);
  }

  async removeUserFromGroup(caller: RamCaller, input: { groupName: string; userName: string }): Promise<void> {
    checkField('GroupName', input.groupName);
    checkField('UserName', input.userName);
    await this.authorize(caller, 'RemoveUserFromGroup', { groupName: input.groupName, userName: input.userName });
    await this.store.removeUserFromGroup(input.groupName, input.userName);
  }

  async listGroupsForUser(caller: RamCaller, userName: string): Promise<Array<{ group: RamGroup; joinDate: number }>> {
    checkField('UserName', userName);
    await this.authorize(caller, 'ListGroupsForUser', { userName });
    return this.store.listGroupsForUser(userName);
  }

  async listUsersForGroup(caller: RamCaller, groupName: string, paging: Paging): Promise<Page<{ user: RamUser; joinDate: number }>> {
    checkField('GroupName', groupName);
    await this.authorize(caller, 'ListUsersForGroup', { groupName });
    return paged(paging, (m) => m.user.userName, (p) => this.store.listUsersForGroup(groupName, p));
  }
}
