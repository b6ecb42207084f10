import { useState } from 'react';
import { carbon, summarize, type CarbonSchemas, type Usage, type UsageType } from '../../api/client';

type DataQuality = CarbonSchemas['DataQuality'];
import { categoriesOf, categoryLabel, findTypes, unitsFor } from '../../api/factors';
import { unitFor, type Usual } from './usual';
import { Alert, Field, ILLUSTRATIVE, SelectField, typeLabel } from '../../components/forms';
import { SCOPE3_CATEGORIES } from '../../scope3';
import { useSubmit } from '../../hooks/useSubmit';
import { useUnits } from '../../hooks/useUnits';
import type { Facility } from '../../hooks/useFacilities';
import { fromUtcInput, utcInput } from '../../utc';

const figure = (kg: number) => Number(kg.toPrecision(4)).toLocaleString('en', { maximumSignificantDigits: 4 });

/** Where the chosen factor comes from, per gas, so the figure can be traced. */
function FactorNote({ type }: { type: UsageType }) {
  const gases = [
    ['CO₂', type.gases?.co2],
    ['CH₄', type.gases?.ch4],
    ['N₂O', type.gases?.n2o],
    ...Object.entries(type.gases?.fgases ?? {}),
  ].filter((g): g is [string, number] => typeof g[1] === 'number');
  return (
    <div className="factor-note" data-testid="factor-note">
      <p className="hint">
        {gases.length > 0 ? `${gases.map(([gas, kg]) => `${gas} ${figure(kg)}`).join(', ')} kg per ${type.unit}; ` : ''}
        {figure(type.factor)} kg CO₂e per {type.unit} ({type.gwp_basis}). Dataset <code>{type.dataset}</code>
        {type.source ? `: ${type.source}` : ''}. Type id <span data-testid="type-id">{type.id}</span>, for a spreadsheet's{' '}
        <code>usage_type_id</code>.
      </p>
      {type.illustrative && <p className="tag-illustrative">{ILLUSTRATIVE}</p>}
    </div>
  );
}

/** Add a usage, or edit one: the type found by category and search, the
 * amount in any unit of the type's dimension. */

export function UsageForm({ types, facilities, editing, usual, onDone }: {
  types: UsageType[];
  facilities: Facility[];
  editing: Usage | null;
  /** The newest usages' type and units: the form's defaults. */
  usual: Usual;
  onDone: () => void;
}) {
  const dimensions = useUnits();
  // One key per usage being added: a double click or a retry sends the same
  // key, so the server records the usage once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [formId, setFormId] = useState(0);
  const [category, setCategory] = useState('');
  const [search, setSearch] = useState('');
  const [typeId, setTypeId] = useState<number | undefined>(editing?.usage_type.id);
  const [unit, setUnit] = useState<string | undefined>(editing?.unit);
  const [facilityId, setFacilityId] = useState<string>(editing?.facility_id ?? '');

  const found = findTypes(types, category, search);
  // Before a category or a search, the default is the type last recorded;
  // with none, nothing: the first of hundreds of factors (anthracite) is
  // nobody's usual bill. Browsing picks the first match, never an
  // illustrative one: a newcomer would record placeholder figures unawares.
  const browsing = category !== '' || search !== '';
  const usualType = types.find((t) => t.id === usual.type && !t.retired);
  const selectedId = typeId ?? (browsing ? found.find((t) => !t.illustrative)?.id : usualType?.id);
  // A usage being edited may be of a type no longer listed (retired): keep it.
  const type = types.find((t) => t.id === selectedId) ?? (editing?.usage_type.id === selectedId ? editing?.usage_type : undefined);
  const options = type && !found.some((t) => t.id === type.id) ? [type, ...found] : found;
  const units = unitsFor(type, dimensions);
  const categories = type?.scope3_categories ?? [];
  const selectedUnit = unitFor(unit, usual, type, units);

  const { onSubmit, busy, problem } = useSubmit(async (form) => {
    const amount = Number(form.get('amount'));
    const at = String(form.get('usage_at'));
    const usage_at = fromUtcInput(at);
    if (selectedId === undefined) return { detail: 'Choose a usage type.', fields: { usage_type_id: 'Choose a usage type.' }, status: 0 };
    const chosen = String(form.get('scope3_category') ?? '');
    const fields = {
      amount,
      usage_type_id: selectedId,
      ...(selectedUnit ? { unit: selectedUnit } : {}),
      ...(chosen ? { scope3_category: Number(chosen) } : {}),
    };
    // Editing: "" takes the usage out of its facility.
    const facility = editing
      ? (facilityId !== (editing.facility_id ?? '') ? { facility_id: facilityId } : {})
      : (facilityId ? { facility_id: facilityId } : {});
    // Data quality and evidence: "" clears them when editing.
    const quality = String(form.get('data_quality') ?? '');
    const evidence = String(form.get('evidence') ?? '').trim();
    const provenance = editing
      ? {
          // "" clears it (the PUT body takes "" for none).
          ...(quality !== (editing.data_quality ?? '') ? { data_quality: quality as DataQuality } : {}),
          ...(evidence !== (editing.evidence ?? '') ? { evidence } : {}),
        }
      : { ...(quality ? { data_quality: quality as DataQuality } : {}), ...(evidence ? { evidence } : {}) };
    const { error, response } = editing
      ? await carbon.PUT('/usages/{id}', {
          params: { path: { id: editing.id } },
          headers: { 'If-Match': `"${editing.version}"` },
          body: { ...fields, ...facility, ...provenance, ...(usage_at ? { usage_at } : {}) },
        })
      : await carbon.POST('/usages', { headers: { 'Idempotency-Key': key }, body: { ...fields, ...facility, ...provenance, usage_at } });
    if (error) {
      const summary = summarize(error, response);
      if (response.status === 412) summary.detail = 'Someone changed this usage meanwhile. Cancel and edit it again to see the latest values.';
      return summary;
    }
    setKey(crypto.randomUUID());
    setFormId((n) => n + 1);
    onDone();
    return null;
  });

  return (
    <form key={`${editing?.id ?? 'new'}-${formId}`} onSubmit={onSubmit} noValidate className="usage-form"
      aria-labelledby="usage-form-title">
      <h2 id="usage-form-title">{editing ? 'Edit usage' : 'Add a usage'}</h2>
      {problem && <Alert>{problem.detail}</Alert>}
      {facilities.length > 0 && (
        <div className="row">
          <SelectField label="Facility" name="facility_id" value={facilityId} error={problem?.fields.facility_id}
            onChange={(e) => {
              setFacilityId(e.target.value);
              // The facility's usual electricity type, unless one is chosen.
              const usual = facilities.find((f) => f.id === e.target.value)?.default_usage_type_id;
              if (usual && typeId === undefined && !editing) setTypeId(usual);
            }}>
            <option value="">No facility</option>
            {facilities.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
          </SelectField>
        </div>
      )}
      <div className="row">
        <SelectField label="Category" name="category" value={category}
          onChange={(e) => { setCategory(e.target.value); setTypeId(undefined); setUnit(undefined); }}>
          <option value="">All categories</option>
          {categoriesOf(types).map((c) => <option key={c} value={c}>{categoryLabel(c)}</option>)}
        </SelectField>
        <Field label="Search types" name="type_search" type="search" value={search} hint="Words of the name, a region or an id."
          onChange={(e) => { setSearch(e.target.value); setTypeId(undefined); setUnit(undefined); }} />
      </div>
      <div className="row">
        <SelectField label="Usage type" name="usage_type_id" required value={selectedId ?? ''}
          error={problem?.fields.usage_type_id ?? (options.length === 0 ? 'No type matches.' : undefined)}
          onChange={(e) => { setTypeId(Number(e.target.value)); setUnit(undefined); }}>
          {selectedId === undefined && <option value="" disabled>Choose a usage type</option>}
          {options.map((t) => <option key={t.id} value={t.id}>{typeLabel(t)}</option>)}
        </SelectField>
        {type && categories.length > 1 && (
          <SelectField key={type.id} label="Scope 3 category" name="scope3_category"
            defaultValue={String(editing?.usage_type.id === type.id ? (editing?.scope3_category ?? '') : categories[0])}
            error={problem?.fields.scope3_category}>
            {categories.map((c) => <option key={c} value={c}>{SCOPE3_CATEGORIES[c] ?? `Category ${c}`}</option>)}
          </SelectField>
        )}
      </div>
      {type ? <FactorNote type={type} /> : (
        <p className="hint" data-testid="type-hint">
          Pick the bill's category, or search by fuel, region or id (electricity, natural gas, diesel…).
        </p>
      )}
      <div className="row">
        <Field label="Amount" name="amount" type="number" step="any" min="0" required
          defaultValue={editing?.amount ?? ''} error={problem?.fields.amount} />
        <SelectField label="Unit" name="unit" value={selectedUnit ?? ''} error={problem?.fields.unit}
          hint={type && selectedUnit && selectedUnit !== type.unit ? `Converted to ${type.unit}, the factor's unit.` : undefined}
          onChange={(e) => setUnit(e.target.value)}>
          {units.map((u) => <option key={u} value={u}>{u}</option>)}
        </SelectField>
        <Field label="When (UTC)" name="usage_at" type="datetime-local"
          defaultValue={editing ? utcInput(editing.usage_at) : ''} error={problem?.fields.usage_at}
          hint={editing ? 'In UTC, as reporting periods are.' : 'In UTC, as reporting periods are; leave empty for now.'} />
      </div>
      <div className="row">
        <SelectField label="Data quality" name="data_quality" defaultValue={editing?.data_quality ?? ''}
          error={problem?.fields.data_quality}>
          <option value="">Not said</option>
          <option value="measured">Measured (meter, invoice)</option>
          <option value="calculated">Calculated</option>
          <option value="estimated">Estimated</option>
          <option value="spend_based">Spend-based</option>
        </SelectField>
        <Field label="Evidence" name="evidence" maxLength={500} defaultValue={editing?.evidence ?? ''}
          error={problem?.fields.evidence} hint="An invoice number or a document link, for the auditor." />
      </div>
      <button type="submit" disabled={busy}>{editing ? 'Save changes' : 'Add usage'}</button>
      {editing && <button type="button" className="secondary" onClick={onDone}>Cancel</button>}
    </form>
  );
}
