//! Other users' profiles.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Chat;
use crate::error::Result;

/// A user's public profile (the fields of the Web SDK's `Profile` Natter fills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(rename = "userID")]
    pub user_id: String,
    pub nick: String,
    pub avatar: String,
}

impl Chat {
    /// The profiles of those of `user_ids` that exist (`getUserProfile`).
    pub async fn get_user_profile(&self, user_ids: &[String]) -> Result<Vec<Profile>> {
        let reply = self
            .request(
                "profile.portrait_get_all",
                json!({ "To_Account": user_ids }),
            )
            .await?;
        let tag = |item: &Value, name: &str| -> String {
            item.get("ProfileItem")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|t| t.get("Tag").and_then(Value::as_str) == Some(name))
                .and_then(|t| t.get("Value"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Ok(reply
            .get("UserProfileItem")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|item| {
                Some(Profile {
                    user_id: item.get("To_Account")?.as_str()?.to_owned(),
                    nick: tag(item, "Tag_Profile_IM_Nick"),
                    avatar: tag(item, "Tag_Profile_IM_Image"),
                })
            })
            .collect())
    }
}
