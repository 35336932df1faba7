using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Zoo.Generators
{
    /// <summary>An immutable array with value equality, so the pipeline's records compare by content and steps cache.</summary>
    internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IEnumerable<T> where T : IEquatable<T>
    {
        private readonly ImmutableArray<T> items;

        public EquatableArray(ImmutableArray<T> items) => this.items = items;

        public ImmutableArray<T> Items => items.IsDefault ? ImmutableArray<T>.Empty : items;
        public int Count => Items.Length;

        public bool Equals(EquatableArray<T> other) => Items.SequenceEqual(other.Items);
        public override bool Equals(object? obj) => obj is EquatableArray<T> o && Equals(o);

        public override int GetHashCode()
        {
            int h = 17;
            foreach (var x in Items) h = h * 31 + (x?.GetHashCode() ?? 0);
            return h;
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Items).GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    internal static class EquatableArray
    {
        public static EquatableArray<T> ToEquatable<T>(this IEnumerable<T> items) where T : IEquatable<T> => new(items.ToImmutableArray());
    }
}
