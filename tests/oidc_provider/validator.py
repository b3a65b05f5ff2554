from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """The claims a corporate provider gives: a name and an e-mail, verified or not as the
    user's ``last_name`` says (``unverified``)."""

    oidc_claim_scope = None  # every claim for every scope asked

    def get_additional_claims(self, request):  # type: ignore[no-untyped-def]
        user = request.user
        return {
            "preferred_username": user.username,
            "name": user.first_name,
            "email": user.email,
            "email_verified": user.last_name != "unverified",
        }
