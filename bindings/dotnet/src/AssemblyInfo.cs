using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Tpauth.Tests")]
