// Finds the native library where the NuGet package puts it (runtimes/<rid>/native/) when the runtime
// itself does not look there:
// - .NET Core 3+ / .NET 5+ read runtimes/ through the app's deps.json; when that has no entry (an
//   app run without RID-specific assets, a plugin folder), a DllImport resolver loads the package's
//   copy (NativeLibrary, reached by reflection: netstandard2.0 cannot name it);
// - .NET Framework (Windows) never reads runtimes/: the library is loaded by its full path before
//   the first call, and Windows then answers DllImport("tpauth") with the module already loaded;
// - Mono reads Tpauth.dll.config beside Tpauth.dll (shipped in the package), whose dllmap entries
//   name runtimes/<rid>/native/ under the application's folder.
// Anything that fails here leaves the runtime's own search (PATH, LD_LIBRARY_PATH, the app folder).
using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace Tpauth
{
    internal static class NativeLoader
    {
        private static int started;

        /// <summary>Called once, before the first native call (Native's static constructor).</summary>
        internal static void Init()
        {
            if (Interlocked.Exchange(ref started, 1) != 0) return;
            try
            {
                string? path = Find();
                if (path == null) return;
                if (!UseResolver(path) && RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                {
                    LoadLibraryW(path);
                }
            }
            catch (Exception)
            {
                // the runtime's own search remains
            }
        }

        /// <summary>The runtime identifier of this process as the package names its folders.</summary>
        internal static string? Rid()
        {
            string? arch;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64: arch = "x64"; break;
                case Architecture.Arm64: arch = "arm64"; break;
                default: arch = null; break;
            }
            if (arch == null) return null;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return "win-" + arch;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) return "osx-" + arch;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return (IsMusl() ? "linux-musl-" : "linux-") + arch;
            return null;
        }

        private static string FileName()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return "tpauth.dll";
            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) return "libtpauth.dylib";
            return "libtpauth.so";
        }

        private static bool IsMusl()
        {
            try
            {
                foreach (string line in File.ReadAllLines("/proc/self/maps"))
                {
                    if (line.Contains("/ld-musl-") || line.Contains("/libc.musl-")) return true;
                }
            }
            catch (Exception)
            {
            }
            return false;
        }

        /// <summary>
        /// runtimes/&lt;rid&gt;/native/&lt;file&gt; under the application's folder, beside this
        /// assembly, or in the package this assembly came from (lib/netstandard2.0/ → ../../).
        /// </summary>
        internal static string? Find()
        {
            string? rid = Rid();
            if (rid == null) return null;
            string relative = Path.Combine("runtimes", rid, "native", FileName());
            string? here = Path.GetDirectoryName(typeof(NativeLoader).GetTypeInfo().Assembly.Location);
            var roots = new System.Collections.Generic.List<string>();
            roots.Add(AppContext.BaseDirectory);
            if (!string.IsNullOrEmpty(here))
            {
                roots.Add(here);
                roots.Add(Path.Combine(here, "..", ".."));
            }
            foreach (string root in roots)
            {
                string candidate = Path.GetFullPath(Path.Combine(root, relative));
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        /// <summary>NativeLibrary.SetDllImportResolver (.NET Core 3+), when the runtime has it.</summary>
        private static bool UseResolver(string path)
        {
            var nl = Type.GetType("System.Runtime.InteropServices.NativeLibrary");
            var resolverType = Type.GetType("System.Runtime.InteropServices.DllImportResolver");
            if (nl == null || resolverType == null) return false;
            var set = nl.GetMethod("SetDllImportResolver", new[] { typeof(Assembly), resolverType });
            var load = nl.GetMethod("Load", new[] { typeof(string) });
            if (set == null || load == null) return false;
            var resolver = new Resolver(path, load);
            var invoke = typeof(Resolver).GetMethod("Resolve");
            if (invoke == null) return false;
            Delegate d = Delegate.CreateDelegate(resolverType, resolver, invoke);
            set.Invoke(null, new object[] { typeof(NativeLoader).GetTypeInfo().Assembly, d });
            return true;
        }

        private sealed class Resolver
        {
            private readonly string path;
            private readonly MethodInfo load;

            internal Resolver(string path, MethodInfo load)
            {
                this.path = path;
                this.load = load;
            }

            // DllImportResolver(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
            public IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
            {
                if (libraryName != Native.Lib) return IntPtr.Zero;
                try
                {
                    return (IntPtr)load.Invoke(null, new object[] { path });
                }
                catch (Exception)
                {
                    return IntPtr.Zero; // the runtime's own search remains
                }
            }
        }

        [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern IntPtr LoadLibraryW(string path);
    }
}
