// §3.2–3.4 comments and moderation; §4 messaging and private replies; §7.4 webhook subscription.
import type { Graph } from './graph.js';
import type { Comment, Conversation, Media, Message, Page, SentMessage, Success } from './types.js';

const REPLY_FIELDS = 'id,text,timestamp,username,from,hidden,parent_id';
export const COMMENT_FIELDS = `id,text,timestamp,username,like_count,hidden,from{id,username},parent_id,replies{${REPLY_FIELDS}}`;
export const MESSAGE_FIELDS = 'id,created_time,from,to,message';
/** What the inbox shows of a post a comment was written on (§3.1). */
export const INBOX_MEDIA_FIELDS = 'id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,timestamp,comments_count,is_comment_enabled';

/** §4.2: text is at most 1000 bytes of UTF-8. */
export const MESSAGE_MAX_BYTES = 1000;

export class EngagementApi {
  constructor(private readonly graph: Graph) {}

  /** Recent media for the inbox, newest first (§3.1). */
  recentMedia(token: string, igId: string, limit: number): Promise<Page<Media>> {
    return this.graph.get<Page<Media>>(token, `${igId}/media`, { fields: INBOX_MEDIA_FIELDS, limit });
  }

  media(token: string, mediaId: string): Promise<Media> {
    return this.graph.get<Media>(token, mediaId, { fields: INBOX_MEDIA_FIELDS });
  }

  comment(token: string, commentId: string): Promise<Comment> {
    return this.graph.get<Comment>(token, commentId, { fields: REPLY_FIELDS });
  }

  nextPage<T>(token: string, page: Page<T>): Promise<Page<T>> | undefined {
    return page.paging?.next ? this.graph.next<Page<T>>(token, page.paging.next) : undefined;
  }

  listComments(token: string, mediaId: string, options: { after?: string; limit?: number } = {}): Promise<Page<Comment>> {
    return this.graph.get<Page<Comment>>(token, `${mediaId}/comments`, { fields: COMMENT_FIELDS, limit: options.limit ?? 50, after: options.after });
  }

  listReplies(token: string, commentId: string, options: { after?: string } = {}): Promise<Page<Comment>> {
    return this.graph.get<Page<Comment>>(token, `${commentId}/replies`, { fields: REPLY_FIELDS, after: options.after });
  }

  async createComment(token: string, mediaId: string, message: string): Promise<string> {
    return (await this.graph.post<{ id: string }>(token, `${mediaId}/comments`, { message })).id;
  }

  async reply(token: string, commentId: string, message: string): Promise<string> {
    return (await this.graph.post<{ id: string }>(token, `${commentId}/replies`, { message })).id;
  }

  async setHidden(token: string, commentId: string, hidden: boolean): Promise<boolean> {
    return (await this.graph.post<Success>(token, commentId, { hide: hidden })).success;
  }

  async deleteComment(token: string, commentId: string): Promise<boolean> {
    return (await this.graph.delete<Success>(token, commentId)).success;
  }

  async setCommentsEnabled(token: string, mediaId: string, enabled: boolean): Promise<boolean> {
    return (await this.graph.post<Success>(token, mediaId, { comment_enabled: enabled })).success;
  }

  conversations(token: string, options: { after?: string; userId?: string } = {}): Promise<Page<Conversation>> {
    return this.graph.get<Page<Conversation>>(token, 'me/conversations', {
      platform: 'instagram',
      fields: 'id,updated_time,participants',
      user_id: options.userId,
      after: options.after,
    });
  }

  async conversationMessages(token: string, conversationId: string): Promise<Array<{ id: string; created_time: string }>> {
    const body = await this.graph.get<{ messages?: Page<{ id: string; created_time: string }> }>(token, conversationId, { fields: 'messages' });
    return body.messages?.data ?? [];
  }

  message(token: string, messageId: string): Promise<Message> {
    return this.graph.get<Message>(token, messageId, { fields: MESSAGE_FIELDS });
  }

  /** §4.2–4.3: inside 24 h a plain reply; up to 7 days only as a human agent's reply. */
  sendMessage(token: string, igId: string, recipientId: string, text: string, options: { humanAgent?: boolean } = {}): Promise<SentMessage> {
    return this.graph.post<SentMessage>(token, `${igId}/messages`, {
      recipient: JSON.stringify({ id: recipientId }),
      message: JSON.stringify({ text }),
      ...(options.humanAgent ? { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } : {}),
    });
  }

  /** §3.5: one private message per comment, within 7 days. */
  privateReply(token: string, igId: string, commentId: string, text: string): Promise<SentMessage> {
    return this.graph.post<SentMessage>(token, `${igId}/messages`, {
      recipient: JSON.stringify({ comment_id: commentId }),
      message: JSON.stringify({ text }),
    });
  }

  async subscribe(token: string, fields: readonly string[] = ['comments', 'messages']): Promise<boolean> {
    return (await this.graph.post<Success>(token, 'me/subscribed_apps', { subscribed_fields: fields.join(',') })).success;
  }

  subscriptions(token: string): Promise<Page<{ subscribed_fields: string[] }>> {
    return this.graph.get<Page<{ subscribed_fields: string[] }>>(token, 'me/subscribed_apps');
  }

  async unsubscribe(token: string): Promise<boolean> {
    return (await this.graph.delete<Success>(token, 'me/subscribed_apps')).success;
  }
}
