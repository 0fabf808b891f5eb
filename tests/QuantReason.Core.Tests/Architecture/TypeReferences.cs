using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace QuantReason.Tests.Architecture;

/// <summary>
/// Which of an assembly's own types each of its types uses, read from the compiled metadata: base types, interfaces,
/// field, method, property and local signatures, attributes, and every token in method bodies. Compiled code, unlike
/// <c>using</c> directives, also sees partly qualified names (<c>Runtime.Model</c> inside <c>QuantReason.Jobs</c>) and
/// types reached through <c>var</c>.
/// </summary>
static class TypeReferences
{
    /// <summary>Edges (user's full name, used type's full name), nested and compiler-generated types folded into their
    /// outermost declaring type.</summary>
    public static IReadOnlyList<(string From, string To)> Of(Assembly assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly.Location));
        var md = pe.GetMetadataReader();
        var provider = new Provider();
        var edges = new HashSet<(string, string)>();
        foreach (var th in md.TypeDefinitions)
        {
            var from = Outer(md, th);
            string fromName = Name(md, from);
            if (fromName.StartsWith('<')) continue; // <Module>, <PrivateImplementationDetails>
            var used = new List<TypeDefinitionHandle>();
            var t = md.GetTypeDefinition(th);
            AddType(md, provider, t.BaseType, used);
            foreach (var ih in t.GetInterfaceImplementations()) AddType(md, provider, md.GetInterfaceImplementation(ih).Interface, used);
            foreach (var fh in t.GetFields()) used.AddRange(md.GetFieldDefinition(fh).DecodeSignature(provider, null));
            foreach (var ph in t.GetProperties()) foreach (var x in md.GetPropertyDefinition(ph).DecodeSignature(provider, null).ParameterTypes.Append(md.GetPropertyDefinition(ph).DecodeSignature(provider, null).ReturnType)) used.AddRange(x);
            foreach (var ca in t.GetCustomAttributes()) AddMember(md, provider, md.GetCustomAttribute(ca).Constructor, used);
            foreach (var mh in t.GetMethods())
            {
                var m = md.GetMethodDefinition(mh);
                var sig = m.DecodeSignature(provider, null);
                foreach (var x in sig.ParameterTypes.Append(sig.ReturnType)) used.AddRange(x);
                foreach (var ca in m.GetCustomAttributes()) AddMember(md, provider, md.GetCustomAttribute(ca).Constructor, used);
                if (m.RelativeVirtualAddress == 0) continue;
                var body = pe.GetMethodBody(m.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                    foreach (var x in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null)) used.AddRange(x);
                foreach (var token in Tokens(body.GetILBytes()!)) AddToken(md, provider, token, used);
            }
            foreach (var u in used)
            {
                var to = Outer(md, u);
                string toName = Name(md, to);
                if (to != from && !toName.StartsWith('<')) edges.Add((fromName, toName));
            }
        }
        return edges.ToList();
    }

    static TypeDefinitionHandle Outer(MetadataReader md, TypeDefinitionHandle h)
    {
        while (md.GetTypeDefinition(h).GetDeclaringType() is { IsNil: false } d) h = d;
        return h;
    }

    static string Name(MetadataReader md, TypeDefinitionHandle h)
    {
        var t = md.GetTypeDefinition(h);
        var ns = md.GetString(t.Namespace);
        return ns.Length == 0 ? md.GetString(t.Name) : ns + "." + md.GetString(t.Name);
    }

    static void AddType(MetadataReader md, Provider p, EntityHandle h, List<TypeDefinitionHandle> used)
    {
        if (h.IsNil) return;
        switch (h.Kind)
        {
            case HandleKind.TypeDefinition: used.Add((TypeDefinitionHandle)h); break;
            case HandleKind.TypeSpecification: used.AddRange(md.GetTypeSpecification((TypeSpecificationHandle)h).DecodeSignature(p, null)); break;
        }
    }

    static void AddMember(MetadataReader md, Provider p, EntityHandle h, List<TypeDefinitionHandle> used)
    {
        switch (h.Kind)
        {
            case HandleKind.MethodDefinition:
                used.Add(md.GetMethodDefinition((MethodDefinitionHandle)h).GetDeclaringType()); break;
            case HandleKind.FieldDefinition:
                used.Add(md.GetFieldDefinition((FieldDefinitionHandle)h).GetDeclaringType()); break;
            case HandleKind.MemberReference:
                var mr = md.GetMemberReference((MemberReferenceHandle)h);
                AddType(md, p, mr.Parent, used);
                if (mr.GetKind() == MemberReferenceKind.Method)
                {
                    var sig = mr.DecodeMethodSignature(p, null);
                    foreach (var x in sig.ParameterTypes.Append(sig.ReturnType)) used.AddRange(x);
                }
                else used.AddRange(mr.DecodeFieldSignature(p, null));
                break;
            case HandleKind.MethodSpecification:
                var ms = md.GetMethodSpecification((MethodSpecificationHandle)h);
                AddMember(md, p, ms.Method, used);
                foreach (var x in ms.DecodeSignature(p, null)) used.AddRange(x);
                break;
        }
    }

    static void AddToken(MetadataReader md, Provider p, int token, List<TypeDefinitionHandle> used)
    {
        var h = MetadataTokens.EntityHandle(token);
        if (h.Kind is HandleKind.TypeDefinition or HandleKind.TypeSpecification) AddType(md, p, h, used);
        else if (h.Kind is HandleKind.MethodDefinition or HandleKind.FieldDefinition or HandleKind.MemberReference or HandleKind.MethodSpecification)
            AddMember(md, p, h, used);
    }

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The metadata tokens among an IL stream's operands.</summary>
    static IEnumerable<int> Tokens(byte[] il)
    {
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineField: case OperandType.InlineMethod: case OperandType.InlineTok: case OperandType.InlineType:
                    yield return BitConverter.ToInt32(il, i); i += 4; break;
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget: case OperandType.ShortInlineI: case OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI8: case OperandType.InlineR: i += 8; break;
                case OperandType.InlineSwitch: i += 4 + 4 * BitConverter.ToInt32(il, i); break;
                default: i += 4; break; // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
            }
        }
    }

    /// <summary>Decodes a signature into the assembly's own types it mentions (other assemblies' types are dropped).</summary>
    sealed class Provider : ISignatureTypeProvider<ImmutableList<TypeDefinitionHandle>, object?>
    {
        static readonly ImmutableList<TypeDefinitionHandle> None = [];
        public ImmutableList<TypeDefinitionHandle> GetArrayType(ImmutableList<TypeDefinitionHandle> e, ArrayShape shape) => e;
        public ImmutableList<TypeDefinitionHandle> GetByReferenceType(ImmutableList<TypeDefinitionHandle> e) => e;
        public ImmutableList<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<ImmutableList<TypeDefinitionHandle>> s) =>
            s.ParameterTypes.Aggregate(s.ReturnType, (a, b) => a.AddRange(b));
        public ImmutableList<TypeDefinitionHandle> GetGenericInstantiation(ImmutableList<TypeDefinitionHandle> g, ImmutableArray<ImmutableList<TypeDefinitionHandle>> args) =>
            args.Aggregate(g, (a, b) => a.AddRange(b));
        public ImmutableList<TypeDefinitionHandle> GetGenericMethodParameter(object? c, int index) => None;
        public ImmutableList<TypeDefinitionHandle> GetGenericTypeParameter(object? c, int index) => None;
        public ImmutableList<TypeDefinitionHandle> GetModifiedType(ImmutableList<TypeDefinitionHandle> m, ImmutableList<TypeDefinitionHandle> u, bool req) => u;
        public ImmutableList<TypeDefinitionHandle> GetPinnedType(ImmutableList<TypeDefinitionHandle> e) => e;
        public ImmutableList<TypeDefinitionHandle> GetPointerType(ImmutableList<TypeDefinitionHandle> e) => e;
        public ImmutableList<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode t) => None;
        public ImmutableList<TypeDefinitionHandle> GetSZArrayType(ImmutableList<TypeDefinitionHandle> e) => e;
        public ImmutableList<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle h, byte k) => [h];
        public ImmutableList<TypeDefinitionHandle> GetTypeFromReference(MetadataReader r, TypeReferenceHandle h, byte k) => None;
        public ImmutableList<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader r, object? c, TypeSpecificationHandle h, byte k) =>
            r.GetTypeSpecification(h).DecodeSignature(this, c);
    }
}
