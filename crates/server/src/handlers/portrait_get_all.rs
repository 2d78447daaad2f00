//! `profile.portrait_get_all` (Web SDK) and `profile.portrait_get` (REST):
//! nick and avatar of users. Unknown users are left out.

use serde_json::{json, Value};

use crate::error::Result;
use crate::state::{AppState, Caller};

pub async fn handle(state: &AppState, _caller: &Caller, body: Value) -> Result<Value> {
    let mut ids: Vec<String> = Vec::new();
    if let Some(items) = body.get("UserItem").and_then(Value::as_array) {
        ids.extend(items.iter().filter_map(|i| {
            i.get("To_Account")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }));
    }
    if let Some(list) = body.get("To_Account").and_then(Value::as_array) {
        ids.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned)));
    }
    ids.truncate(100);
    let users = state.store.get_users(&ids).await?;
    let items: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({"To_Account": u.user_id, "ProfileItem": [
                {"Tag": "Tag_Profile_IM_Nick", "Value": u.nick},
                {"Tag": "Tag_Profile_IM_Image", "Value": u.face_url}]})
        })
        .collect();
    Ok(json!({"UserProfileItem": items}))
}
