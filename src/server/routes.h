/* routes.h -- every handler, by the file that holds it. router.c's table
 * says which method and path each one answers. */
#ifndef GROUPIE_ROUTES_H
#define GROUPIE_ROUTES_H

#include "server/router.h"

/* routes_ops.c */
void route_healthz(struct app *app, struct request *req, struct response *res);
void route_readyz(struct app *app, struct request *req, struct response *res);
void route_metrics(struct app *app, struct request *req, struct response *res);
void route_engine_events(struct app *app, struct request *req, struct response *res);
/* POST /admin/devices/{device}/sync (routes_sync.c): the device's engine
 * session's groups imported or brought up to date (core/sync.h). */
void route_admin_device_sync(struct app *app, struct request *req, struct response *res);
void route_openapi(struct app *app, struct request *req, struct response *res);

/* routes_members.c */
void route_members_add(struct app *app, struct request *req, struct response *res);
void route_members_remove(struct app *app, struct request *req, struct response *res);
void route_members_promote(struct app *app, struct request *req, struct response *res);
void route_members_demote(struct app *app, struct request *req, struct response *res);

/* routes_groups.c */
void route_group_create(struct app *app, struct request *req, struct response *res);
void route_groups_list(struct app *app, struct request *req, struct response *res);
void route_group_get(struct app *app, struct request *req, struct response *res);
void route_group_update(struct app *app, struct request *req, struct response *res);

/* routes_send.c */
void route_group_send(struct app *app, struct request *req, struct response *res);

/* routes_invites.c */
void route_invitations_list(struct app *app, struct request *req, struct response *res);
void route_invitation_revoke(struct app *app, struct request *req, struct response *res);
void route_invite_link_get(struct app *app, struct request *req, struct response *res);
void route_invite_link_revoke(struct app *app, struct request *req, struct response *res);

/* routes_admin.c */
void route_admin_device_create(struct app *app, struct request *req, struct response *res);
void route_admin_device_list(struct app *app, struct request *req, struct response *res);
void route_admin_token_create(struct app *app, struct request *req, struct response *res);
void route_admin_token_revoke(struct app *app, struct request *req, struct response *res);
void route_admin_dir_put(struct app *app, struct request *req, struct response *res);
void route_admin_dir_get(struct app *app, struct request *req, struct response *res);
void route_admin_dir_delete(struct app *app, struct request *req, struct response *res);
void route_admin_dir_bulk(struct app *app, struct request *req, struct response *res);
void route_admin_participants(struct app *app, struct request *req, struct response *res);
void route_admin_accept(struct app *app, struct request *req, struct response *res);
void route_admin_join(struct app *app, struct request *req, struct response *res);
void route_admin_leave(struct app *app, struct request *req, struct response *res);
void route_admin_clock_advance(struct app *app, struct request *req, struct response *res);

/* routes_console.c */
void route_root(struct app *app, struct request *req, struct response *res);
void route_console_page(struct app *app, struct request *req, struct response *res);
void route_console_asset(struct app *app, struct request *req, struct response *res);
void route_admin_requests(struct app *app, struct request *req, struct response *res);
void route_admin_clock(struct app *app, struct request *req, struct response *res);

/* routes_views.c */
void route_admin_directory(struct app *app, struct request *req, struct response *res);
void route_admin_groups(struct app *app, struct request *req, struct response *res);
void route_admin_group(struct app *app, struct request *req, struct response *res);
void route_admin_group_invitations(struct app *app, struct request *req, struct response *res);
void route_admin_invitations(struct app *app, struct request *req, struct response *res);
void route_admin_messages(struct app *app, struct request *req, struct response *res);

/* routes_world.c */
void route_admin_reset(struct app *app, struct request *req, struct response *res);
void route_admin_seed(struct app *app, struct request *req, struct response *res);
void route_admin_export(struct app *app, struct request *req, struct response *res);

/* routes_faults.c */
void route_admin_fault_arm(struct app *app, struct request *req, struct response *res);
void route_admin_faults(struct app *app, struct request *req, struct response *res);
void route_admin_faults_clear(struct app *app, struct request *req, struct response *res);
void route_admin_fault_disarm(struct app *app, struct request *req, struct response *res);

/* routes_webhooks.c */
void route_webhook_create(struct app *app, struct request *req, struct response *res);
void route_webhooks_list(struct app *app, struct request *req, struct response *res);
void route_webhook_get(struct app *app, struct request *req, struct response *res);
void route_webhook_delete(struct app *app, struct request *req, struct response *res);
void route_webhook_rotate(struct app *app, struct request *req, struct response *res);
void route_webhook_deliveries(struct app *app, struct request *req, struct response *res);
void route_webhook_retry(struct app *app, struct request *req, struct response *res);

#endif
