namespace Tpauth
{
    /// <summary>A PKCE pair (RFC 7636, method S256), from <see cref="Auth.NewPkce"/>.</summary>
    public sealed class Pkce
    {
        internal Pkce(string verifier, string challenge)
        {
            Verifier = verifier;
            Challenge = challenge;
        }

        /// <summary>43 characters from 32 random bytes: keep it (a secret, like the state) for
        /// <see cref="Auth.AuthorizationCodeGrant(string, string, string)"/>.</summary>
        public string Verifier { get; }

        /// <summary>BASE64URL(SHA256(verifier)): send it with
        /// <see cref="Auth.AuthorizeUrl(string, string, string, string)"/>.</summary>
        public string Challenge { get; }

        /// <inheritdoc/>
        public override string ToString() => "Tpauth.Pkce(Challenge=" + Challenge + ", Verifier=[redacted])";
    }
}
